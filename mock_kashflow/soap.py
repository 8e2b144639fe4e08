"""SOAP envelopes: the one place requests are parsed and responses and faults written."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .exceptions import SoapFault
from .schema import KF, XS, XSI, Record, Schema, safe_parser
from .values import DecodeError

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
CONTENT_TYPES = {SOAP11: "text/xml; charset=utf-8", SOAP12: "application/soap+xml; charset=utf-8"}


@dataclass
class SoapRequest:
    envelope_ns: str
    operation: str
    params: Record


def soap_version(content_type: str) -> str:
    """Guess the envelope version from the Content-Type, for faults on unreadable bodies."""
    return SOAP12 if "application/soap+xml" in (content_type or "") else SOAP11


def action_from_headers(soap_action: str | None, content_type: str | None) -> str | None:
    """SOAP 1.1 names the operation in SOAPAction, SOAP 1.2 in the Content-Type."""
    action = soap_action
    if action is None and content_type:
        for part in content_type.split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "action":
                action = value
    if not action:
        return None
    action = action.strip().strip('"')
    return action.rpartition("/")[2] or None


def parse_request(body: bytes, schema: Schema, soap_action: str | None,
                  content_type: str | None) -> SoapRequest:
    envelope_ns = soap_version(content_type or "")
    if not body.strip():
        raise SoapFault("Client", "Root element is missing.", envelope_ns)
    try:
        root = etree.fromstring(body, parser=safe_parser())
    except etree.XMLSyntaxError as error:
        raise SoapFault("Client", f"There is an error in XML document: {error.msg}",
                        envelope_ns) from None
    if root.getroottree().docinfo.doctype:
        raise SoapFault("Client", "For security reasons DTD is prohibited in this XML document.",
                        envelope_ns)
    qname = etree.QName(root)
    if qname.localname != "Envelope" or qname.namespace not in (SOAP11, SOAP12):
        raise SoapFault("Client", "The request is not a SOAP envelope.", envelope_ns)
    envelope_ns = qname.namespace
    body_node = root.find(f"{{{envelope_ns}}}Body")
    payload = None if body_node is None else next(
        (child for child in body_node if isinstance(child.tag, str)), None)
    operation = action_from_headers(soap_action, content_type)
    if operation is None and payload is not None:
        operation = etree.QName(payload).localname
    if operation not in schema.operations:
        raise SoapFault("Client", "Server did not recognize the value of HTTP Header "
                        f"SOAPAction: {soap_action or operation}.", envelope_ns)
    fields = schema.elements[operation]
    if payload is None or etree.QName(payload) != etree.QName(KF, operation):
        # As ASMX: a body for another operation or namespace reads as no parameters.
        payload = etree.Element("empty")
    try:
        params = schema.decode_fields(payload, fields)
    except DecodeError as error:
        raise SoapFault("Client", f"Server was unable to read request. ---> {error}",
                        envelope_ns) from None
    return SoapRequest(envelope_ns, operation, params)


def envelope(envelope_ns: str) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(f"{{{envelope_ns}}}Envelope",
                         nsmap={"soap": envelope_ns, "xsi": XSI, "xsd": XS})
    return root, etree.SubElement(root, f"{{{envelope_ns}}}Body")


def build_response(schema: Schema, envelope_ns: str, operation: str, outputs: Record) -> bytes:
    root, body = envelope(envelope_ns)
    response = etree.SubElement(body, f"{{{KF}}}{operation}Response", nsmap={None: KF})
    schema.encode_fields(response, schema.elements[f"{operation}Response"], outputs)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def build_fault(fault: SoapFault) -> bytes:
    root, body = envelope(fault.envelope_ns)
    node = etree.SubElement(body, f"{{{fault.envelope_ns}}}Fault")
    if fault.envelope_ns == SOAP12:
        code = etree.SubElement(node, f"{{{SOAP12}}}Code")
        value = etree.SubElement(code, f"{{{SOAP12}}}Value")
        value.text = "soap:Sender" if fault.code == "Client" else "soap:Receiver"
        reason = etree.SubElement(node, f"{{{SOAP12}}}Reason")
        text = etree.SubElement(reason, f"{{{SOAP12}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        text.text = fault.message
    else:
        etree.SubElement(node, "faultcode").text = f"soap:{fault.code}"
        etree.SubElement(node, "faultstring").text = fault.message
        etree.SubElement(node, "detail")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
