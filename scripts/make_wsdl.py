"""Write kashflow/wsdl/kashflow.wsdl and mock_kashflow/wsdl/kashflow.wsdl: the operations this
project implements, one file for the client and the same file for the mock, so that neither
package needs the other.

Names, element order and types are KashFlow's (read from the real WSDL, which
the contract test holds us to); the layout and words are ours. To support one
more operation, add its name to OPERATIONS and run:

    python scripts/make_wsdl.py ../shared/reference/KashFlow.wsdl
"""

import sys
from pathlib import Path

from lxml import etree

OPERATIONS = [
    "AutoAuthIP", "GetCompanyDetails", "isUserVATRegistered",
    "GetNominalCodes", "GetNominalCodesExtended", "GetVATRates",
    "GetSuppliers", "GetSupplier", "GetSupplierByID", "InsertSupplier",
    "GetCustomers", "GetCustomer", "GetCustomerByID", "InsertCustomer",
    "GetBankAccounts", "GetProjects", "GetInvPayMethods", "GetRecPayMethods",
    "GetCurrencies", "GetSupplierCurrency", "SetSupplierCurrency",
    "GetCustomerCurrency", "SetCustomerCurrency",
    "InsertReceipt", "GetReceipt", "GetReceiptsForSupplier", "GetReceiptsWithPaging",
    "DeleteReceipt", "InsertReceiptPayment", "AttachFileToReceipt",
    "InsertInvoice", "GetInvoice", "GetInvoicesForCustomer", "DeleteInvoice",
    "InsertInvoicePayment", "applyCreditNoteToInvoice", "AttachFileToInvoice",
]
# Operations of KashFlow's newer live WSDL, which the reference copy predates (see
# ../shared/reference/kashflow-wsdl-2026-additions.md): each has the shape of an older
# operation with a parameter renamed.
NEWER_OPERATIONS = {
    "AttachFileToInvoice": ("AttachFileToReceipt", {"ReceiptNo": "InvoiceNo"}),
}
# Types reached only through xsi:type (invoice lines are anyType on the wire).
EXTRA_TYPES = ["InvoiceLine"]

S = "http://www.w3.org/2001/XMLSchema"
W = "http://schemas.xmlsoap.org/wsdl/"
SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
NSMAP = {"wsdl": W, "s": S, "soap": SOAP11, "soap12": SOAP12, "tns": "KashFlow"}
REAL_URL = "https://securedwebapp.com/api/service.asmx"
ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = [ROOT / "kashflow" / "wsdl" / "kashflow.wsdl",
           ROOT / "mock_kashflow" / "wsdl" / "kashflow.wsdl"]


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def copy_schema_node(node: etree._Element) -> etree._Element:
    """Copy an element/complexType without its documentation."""
    out = etree.Element(node.tag, dict(node.attrib), nsmap=None)
    for child in node:
        if not isinstance(child.tag, str) or child.tag == q(S, "annotation"):
            continue
        out.append(copy_schema_node(child))
    return out


def referenced_types(node: etree._Element) -> set[str]:
    found = set()
    for el in node.iter(q(S, "element"), q(S, "extension")):
        ref = el.get("type") or el.get("base") or ""
        if ref.startswith("tns:"):
            found.add(ref[4:])
    return found


def renamed(node: etree._Element, old: str, new: str, names: dict[str, str]) -> etree._Element:
    """A copy of an operation's element for the operation new, made from old's."""
    out = copy_schema_node(node)
    out.set("name", node.get("name").replace(old, new))
    for el in out.iter(q(S, "element")):
        name = el.get("name")
        if el is not out and name:
            el.set("name", names.get(name, name.replace(old, new)))
    return out


def main(real_path: str) -> None:
    real = etree.parse(real_path).getroot()
    schema = real.find(f"{q(W, 'types')}/{q(S, 'schema')}")
    elements = {e.get("name"): e for e in schema.findall(q(S, "element"))}
    for new, (old, names) in NEWER_OPERATIONS.items():
        for suffix in ("", "Response"):
            elements[new + suffix] = renamed(elements[old + suffix], old, new, names)
    types = {t.get("name"): t for t in schema if t.get("name") and t.tag != q(S, "element")}

    wanted_elements = []
    for op in OPERATIONS:
        wanted_elements += [op, op + "Response"]
    wanted_types, todo = set(), list(EXTRA_TYPES)
    for name in wanted_elements:
        todo += referenced_types(elements[name])
    while todo:
        name = todo.pop()
        if name in wanted_types:
            continue
        wanted_types.add(name)
        todo += referenced_types(types[name])

    root = etree.Element(q(W, "definitions"), nsmap=NSMAP, targetNamespace="KashFlow")
    doc = etree.SubElement(root, q(W, "documentation"))
    doc.text = ("The KashFlow SOAP API operations used by dext-kashflow, "
                "with KashFlow's names, element order and types.")
    new_schema = etree.SubElement(etree.SubElement(root, q(W, "types")), q(S, "schema"),
                                  elementFormDefault="qualified", targetNamespace="KashFlow")
    for name in wanted_elements:
        new_schema.append(copy_schema_node(elements[name]))
    for name in sorted(wanted_types):
        new_schema.append(copy_schema_node(types[name]))

    for op in OPERATIONS:
        for suffix, part in (("SoapIn", op), ("SoapOut", op + "Response")):
            msg = etree.SubElement(root, q(W, "message"), name=op + suffix)
            etree.SubElement(msg, q(W, "part"), name="parameters", element="tns:" + part)

    port_type = etree.SubElement(root, q(W, "portType"), name="KashFlowAPISoap")
    for op in OPERATIONS:
        operation = etree.SubElement(port_type, q(W, "operation"), name=op)
        etree.SubElement(operation, q(W, "input"), message=f"tns:{op}SoapIn")
        etree.SubElement(operation, q(W, "output"), message=f"tns:{op}SoapOut")

    for binding_name, ns in (("KashFlowAPISoap", SOAP11), ("KashFlowAPISoap12", SOAP12)):
        binding = etree.SubElement(root, q(W, "binding"), name=binding_name,
                                   type="tns:KashFlowAPISoap")
        etree.SubElement(binding, q(ns, "binding"),
                         transport="http://schemas.xmlsoap.org/soap/http")
        for op in OPERATIONS:
            operation = etree.SubElement(binding, q(W, "operation"), name=op)
            etree.SubElement(operation, q(ns, "operation"), soapAction=f"KashFlow/{op}",
                             style="document")
            for io in ("input", "output"):
                etree.SubElement(etree.SubElement(operation, q(W, io)), q(ns, "body"),
                                 use="literal")

    service = etree.SubElement(root, q(W, "service"), name="KashFlowAPI")
    for binding_name, ns in (("KashFlowAPISoap", SOAP11), ("KashFlowAPISoap12", SOAP12)):
        port = etree.SubElement(service, q(W, "port"), name=binding_name,
                                binding="tns:" + binding_name)
        etree.SubElement(port, q(ns, "address"), location=REAL_URL)

    etree.cleanup_namespaces(root, top_nsmap=NSMAP, keep_ns_prefixes=list(NSMAP))
    etree.indent(root, space="  ")
    for out in OUTPUTS:
        out.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8") + b"\n")
        print(f"{out}: {len(OPERATIONS)} operations, {len(wanted_types)} types")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/KashFlow.wsdl")
