"""Our WSDL against KashFlow's real one: every operation and type we declare must match it.
The client and the mock each carry a copy (scripts/make_wsdl.py writes both): both are checked
(tests/test_package_boundaries.py checks they are the same file)."""

from importlib import resources

import pytest
from lxml import etree
from reference import REAL_WSDL, needs_real_wsdl

from mock_kashflow.schema import WSDL, XS

COPIES = ["kashflow", "mock_kashflow"]
SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
# Operations of KashFlow's newer live WSDL, which the reference copy predates, with their
# shape as ../shared/reference/kashflow-wsdl-2026-additions.md gives it.
NEWER = {
    "AttachFileToInvoice": [
        ("UserName", "s:string", "0", "1", "false"), ("Password", "s:string", "0", "1", "false"),
        ("InvoiceNo", "s:int", "1", "1", "false"),
        ("Base64String", "s:string", "0", "1", "false"),
        ("ContentType", "s:string", "0", "1", "false"),
        ("Filename", "s:string", "0", "1", "false"),
        ("FileExtension", "s:string", "0", "1", "false"),
        ("FileSize", "s:string", "0", "1", "false")],
    "AttachFileToInvoiceResponse": [
        ("AttachFileToInvoiceResult", "s:int", "1", "1", "false"),
        ("Status", "s:string", "0", "1", "false"),
        ("StatusDetail", "s:string", "0", "1", "false")],
}

pytestmark = needs_real_wsdl


def schema_nodes(root: etree._Element) -> dict[tuple[str, str], etree._Element]:
    schema = root.find(f"{{{WSDL}}}types/{{{XS}}}schema")
    return {(etree.QName(n).localname, n.get("name")): n for n in schema if n.get("name")}


def shape(node: etree._Element) -> list[tuple]:
    """What a client sees of a type: each element's name, type and occurrences, in order."""
    return [(el.get("name"), el.get("type"), el.get("minOccurs", "1"),
             el.get("maxOccurs", "1"), el.get("nillable", "false"))
            for el in node.iter(f"{{{XS}}}element") if el is not node]


def soap_actions(root: etree._Element, binding: str, soap_ns: str) -> dict[str, str]:
    node = root.find(f"{{{WSDL}}}binding[@name='{binding}']")
    return {op.get("name"): op.find(f"{{{soap_ns}}}operation").get("soapAction")
            for op in node.iterfind(f"{{{WSDL}}}operation")}


def copy_of(package: str) -> bytes:
    return resources.files(package).joinpath("wsdl/kashflow.wsdl").read_bytes()


@pytest.fixture(scope="module", params=COPIES)
def ours(request: pytest.FixtureRequest) -> etree._Element:
    return etree.fromstring(copy_of(request.param))


@pytest.fixture(scope="module")
def real() -> etree._Element:
    return etree.parse(str(REAL_WSDL)).getroot()


def test_same_target_namespace(ours, real):
    assert ours.get("targetNamespace") == real.get("targetNamespace") == "KashFlow"


def test_every_element_and_type_matches_the_real_wsdl(ours, real):
    real_nodes = schema_nodes(real)
    our_nodes = schema_nodes(ours)
    assert len(our_nodes) > 80
    for key, node in our_nodes.items():
        if key[1] in NEWER:
            assert shape(node) == NEWER[key[1]], f"{key[1]} differs from KashFlow's newer WSDL"
            continue
        assert key in real_nodes, f"{key[0]} {key[1]} is not in KashFlow's WSDL"
        assert shape(node) == shape(real_nodes[key]), f"{key[0]} {key[1]} differs from KashFlow's"


@pytest.mark.parametrize("binding,soap_ns", [("KashFlowAPISoap", SOAP11),
                                             ("KashFlowAPISoap12", SOAP12)])
def test_every_operation_has_kashflows_soap_action(ours, real, binding, soap_ns):
    our_actions = soap_actions(ours, binding, soap_ns)
    real_actions = soap_actions(real, binding, soap_ns)
    assert len(our_actions) == 37
    for operation, action in our_actions.items():
        expected = f"KashFlow/{operation}" if operation in NEWER else real_actions.get(operation)
        assert expected == action == f"KashFlow/{operation}"


def test_operations_use_kashflows_messages(ours, real):
    def messages(root):
        port = root.find(f"{{{WSDL}}}portType[@name='KashFlowAPISoap']")
        return {op.get("name"): (op.find(f"{{{WSDL}}}input").get("message"),
                                 op.find(f"{{{WSDL}}}output").get("message"))
                for op in port.iterfind(f"{{{WSDL}}}operation")}

    def parts(root):
        return {m.get("name"): m.find(f"{{{WSDL}}}part").get("element")
                for m in root.iterfind(f"{{{WSDL}}}message")}

    real_messages, real_parts, our_parts = messages(real), parts(real), parts(ours)
    for operation, (inp, out) in messages(ours).items():
        if operation in NEWER:
            assert (inp, out) == (f"tns:{operation}SoapIn", f"tns:{operation}SoapOut")
            assert our_parts[f"{operation}SoapIn"] == f"tns:{operation}"
            continue
        assert real_messages[operation] == (inp, out)
        for message in (inp, out):
            name = message.split(":", 1)[1]
            assert our_parts[name] == real_parts[name]
