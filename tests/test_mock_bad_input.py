"""Bad requests get a SOAP Fault or a 4xx, never a stack trace or a hang, and change nothing."""

import socket
import time

import pytest
import requests
from rawsoap import SOAP11, document, envelope, line, new_account, post


@pytest.fixture
def account(mock_server):
    return new_account(mock_server.url)


def supplier_id(account):
    return account.state()["suppliers"][0]["SupplierID"]


def credentials(account):
    return f"<UserName>{account.username}</UserName><Password>{account.password}</Password>"


def assert_clean_fault(reply, status=500, words=""):
    assert reply.http_status == status
    assert reply.fault is not None, reply.text
    assert words in reply.fault
    assert "Traceback" not in reply.text and "File \"" not in reply.text


def test_malformed_xml(account):
    reply = post(account.url, "<soap:Envelope><unclosed>", "GetVATRates")
    assert_clean_fault(reply, words="There is an error in XML document")


def test_empty_body(account):
    assert_clean_fault(post(account.url, b"", "GetVATRates"), words="Root element is missing")


def test_not_an_envelope(account):
    assert_clean_fault(post(account.url, "<hello/>", "GetVATRates"),
                       words="not a SOAP envelope")


def test_unknown_operation(account):
    reply = post(account.url, envelope("StealEverything", credentials(account)),
                 "StealEverything")
    assert_clean_fault(reply, words="did not recognize the value of HTTP Header SOAPAction")


@pytest.mark.parametrize("field,value", [
    ("ChargeType", "seven"), ("Rate", "ten pounds"), ("VatRate", "NaN"),
    ("ChargeType", "99999999999"), ("Quantity", ""),
])
def test_wrong_types_in_a_line(account, field, value):
    good = line()
    bad = good.replace(f"<{field}>", f"<{field}>{value}<!--", 1).replace(
        f"</{field}>", f"--></{field}>", 1)
    reply = account.call("InsertReceipt", document(supplier_id(account), [bad]))
    assert_clean_fault(reply, words="Server was unable to read request")
    assert account.state()["receipts"] == []


def test_wrong_date(account):
    reply = account.call("InsertReceipt", document(supplier_id(account), [line()],
                                                   date="yesterday"))
    assert_clean_fault(reply, words="is not a valid dateTime")
    assert account.state()["receipts"] == []


def test_line_of_an_unknown_type(account):
    reply = account.call("InsertReceipt", document(
        supplier_id(account), [line(xsi_type='xsi:type="Banana"')]))
    assert_clean_fault(reply, words="The specified type was not recognized")


def test_xml_entities_are_refused_and_not_expanded(account, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            + envelope("GetSupplier", credentials(account)
                       + "<SupplierCode>&xxe;</SupplierCode>")[len('<?xml version="1.0" '
                                                                    'encoding="utf-8"?>'):])
    reply = post(account.url, body, "GetSupplier")
    assert_clean_fault(reply, words="DTD is prohibited")
    assert "TOP-SECRET" not in reply.text


def test_billion_laughs_does_not_hang(account):
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    body = (f"<?xml version='1.0'?><!DOCTYPE x [{entities}]>"
            f'<soap:Envelope xmlns:soap="{SOAP11}"><soap:Body><GetVATRates xmlns="KashFlow">'
            f"<UserName>&i;</UserName></GetVATRates></soap:Body></soap:Envelope>")
    started = time.monotonic()
    reply = post(account.url, body, "GetVATRates")
    assert time.monotonic() - started < 5
    assert reply.http_status == 500 and reply.fault is not None


def test_oversized_body_is_refused_before_reading(account):
    junk = "x" * (9 * 1024 * 1024)
    body = envelope("GetSupplier", credentials(account) + f"<SupplierCode>{junk}</SupplierCode>")
    reply = post(account.url, body, "GetSupplier")
    assert_clean_fault(reply, status=413, words="Maximum request length exceeded")


def test_soap12_fault_shape(account):
    reply = post(account.url, "<broken", "GetVATRates", version="1.2")
    assert reply.http_status == 500
    assert reply.root.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
    assert "There is an error in XML document" in reply.fault


def test_slow_client_does_not_block_others(account, mock_server):
    # A client that opens a request and never finishes it must not stall the server.
    host, port = mock_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as stalled:
        stalled.sendall(b"POST /api/service.asmx HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 1000\r\n\r\n<soap")
        started = time.monotonic()
        assert account.call("GetVATRates").ok
        assert time.monotonic() - started < 2


def test_wsdl_is_served_with_the_mocks_own_address(account):
    for query in ("WSDL", "wsdl"):
        response = requests.get(f"{account.url}?{query}", timeout=10)
        assert response.status_code == 200
        assert f'location="{account.url}"' in response.text
        assert "securedwebapp.com" not in response.text


def test_an_unexpected_error_is_a_server_fault_not_a_page(monkeypatch):
    """The safety net: a bug in the mock still answers in SOAP, as ASMX does."""
    from mock_kashflow import create_app, service

    def broken(*_args):
        raise RuntimeError("a bug in the mock")

    monkeypatch.setattr(service, "authenticate", broken)
    response = create_app().test_client().post(
        "/api/service.asmx", data=envelope("GetVATRates", ""),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"KashFlow/GetVATRates"'})
    assert response.status_code == 500
    assert response.content_type == "text/xml; charset=utf-8"
    assert b"<faultcode>soap:Server</faultcode>" in response.data
    assert b"Server was unable to process request" in response.data
    assert b"Traceback" not in response.data
