"""Lists are read straight from the XML (kashflow.list_reader), and read exactly as zeep's
objects read them before: the same records on the mock's demo account and on odd answers,
the same errors for the answers that are not lists.

The reference is zeep's own reading of the same bytes (its binding's process_reply), then
the client's conversion: the client's path before lists were read with lxml.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal as D

import pytest
import requests
import zeep
from netkit import serve_fixed_answer
from rawsoap import envelope

from kashflow import KashFlowClient, convert
from kashflow.client import BINDING, SETTINGS, wsdl_document
from kashflow.errors import AuthenticationError, UnexpectedResponseError, ValidationError
from kashflow.list_reader import ListFigures, ListReader
from kashflow.models import Document, DocumentLine, Supplier

# client method, KashFlow operation, the client's conversion of one record
LISTS: list[tuple[str, str, Callable]] = [
    ("get_nominal_codes", "GetNominalCodesExtended", convert.to_nominal),
    ("get_vat_rates", "GetVATRates", convert.to_vat_rate),
    ("get_bank_accounts", "GetBankAccounts", convert.to_bank_account),
    ("get_projects", "GetProjects", convert.to_project),
    ("get_invoice_payment_methods", "GetInvPayMethods", convert.to_payment_method),
    ("get_receipt_payment_methods", "GetRecPayMethods", convert.to_payment_method),
    ("get_currencies", "GetCurrencies", convert.to_currency),
    ("get_suppliers", "GetSuppliers", convert.to_supplier),
    ("get_customers", "GetCustomers", convert.to_customer),
]


@pytest.fixture(scope="module")
def zeep_client() -> zeep.Client:
    return zeep.Client(wsdl_document(), settings=SETTINGS)


def binding(zeep_client):
    return zeep_client.wsdl.bindings[BINDING]


def zeep_reads(zeep_client, operation: str, content: bytes) -> dict:
    """The answer as zeep reads it into objects, made plain as the client did."""
    answer = requests.Response()
    answer.status_code = 200
    answer._content = content
    answer.headers["Content-Type"] = "text/xml; charset=utf-8"
    soap = binding(zeep_client)
    return convert.plain(soap.process_reply(zeep_client, soap.get(operation), answer)) or {}


def zeep_models(zeep_client, operation: str, to_model: Callable, content: bytes) -> list:
    """The records as the client made them before: zeep's dicts, then convert."""
    reader = ListReader(binding(zeep_client), operation)
    raw = zeep_reads(zeep_client, operation, content)
    return [to_model(r) for r in convert.items(raw.get(reader.result_name), reader.item_name)]


def fast_reads(zeep_client, operation: str, content: bytes) -> dict | None:
    """The answer as the list reader reads it, its records made dicts to compare."""
    raw = ListReader(binding(zeep_client), operation).read(content)
    if raw is None:
        return None
    result = f"{operation}Result"
    if raw[result] is not None:
        raw[result] = {name: [dict(record) for record in records]
                       for name, records in raw[result].items()}
    return raw


def answer_of(url: str, operation: str, username: str, password: str) -> bytes:
    """KashFlow's answer to a list operation, as bytes."""
    body = envelope(operation, f"<UserName>{username}</UserName><Password>{password}</Password>")
    response = requests.post(url, data=body.encode(), timeout=10, headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"KashFlow/{operation}"'})
    response.raise_for_status()
    return response.content


@pytest.fixture
def fixed_answer():
    """fixed_answer(body, **client options): a client whose server always answers body."""
    servers = []

    def make(body: bytes, status: int = 200, **options) -> KashFlowClient:
        server = serve_fixed_answer(status, {"Content-Type": "text/xml; charset=utf-8"},
                                    [body])
        servers.append(server)
        return KashFlowClient("someone", "pw", timeout=5, max_retries=0,
                              url=f"http://127.0.0.1:{server.server_port}/api", **options)

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


# The demo account -------------------------------------------------------------


@pytest.mark.parametrize("method,operation,to_model", LISTS, ids=[op for _, op, _ in LISTS])
def test_every_list_of_the_demo_account_reads_as_zeep_read_it(
        zeep_client, client, kashflow_account, method, operation, to_model):
    content = answer_of(kashflow_account.url, operation, kashflow_account.username,
                        kashflow_account.password)
    raw = fast_reads(zeep_client, operation, content)
    assert raw is not None, "the demo account's answer is a plain list"
    assert raw == zeep_reads(zeep_client, operation, content)
    models = getattr(client, method)()
    assert models, "the demo account has some of each"
    assert models == zeep_models(zeep_client, operation, to_model, content)


# Odd answers ------------------------------------------------------------------------

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def suppliers_answer(inner: str, encoding: str = "utf-8") -> bytes:
    return (f'<?xml version="1.0" encoding="{encoding}"?>'
            f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:xsi="{XSI}"><soap:Body><GetSuppliersResponse xmlns="KashFlow">{inner}'
            "</GetSuppliersResponse></soap:Body></soap:Envelope>").encode(encoding)


def supplier(id_: int, *fields: str) -> str:
    return f"<Supplier><SupplierID>{id_}</SupplierID>{''.join(fields)}</Supplier>"


OK = "<Status>OK</Status><StatusDetail />"
PLAIN_ANSWERS = {
    "an empty list": f"<GetSuppliersResult />{OK}",
    "no list at all": OK,
    "only the required elements": f"<GetSuppliersResult>{supplier(7)}</GetSuppliersResult>{OK}",
    "every element": "<GetSuppliersResult>" + supplier(
        8, "<Code>ACME</Code><Name>Acme Ltd</Name><Contact>Ann</Contact><Mobile>07700</Mobile>"
        "<Fax /><Address1>1 High St</Address1><Address2>Leeds</Address2><Address3 />"
        "<Address4 /><PostCode>LS1 1AA</PostCode><Telephone>0113</Telephone>"
        "<Website>acme.example</Website><Email>a@acme.example</Email>"
        "<Created>2024-05-01T09:30:00</Created><Updated>2024-05-02T10:00:00+01:00</Updated>"
        "<EC>1</EC><VATNumber>GB123</VATNumber><Notes>  spaced  </Notes>"
        "<CurrencyID>2</CurrencyID><PaymentTerms>30</PaymentTerms><ContactTitle>Ms</ContactTitle>"
        "<ContactFirstName>Ann</ContactFirstName><ContactLastName>Lee</ContactLastName>")
    + f"</GetSuppliersResult>{OK}",
    "xsi:nil elements": "<GetSuppliersResult>" + supplier(
        9, '<Code xsi:nil="true" />', "<Name>Nil Ltd</Name>", '<Email xsi:nil="true" />',
        '<Created xsi:nil="true" /><Updated xsi:nil="true" /><EC xsi:nil="true" />',
        '<CurrencyID xsi:nil="true" /><PaymentTerms xsi:nil="true" />')
    + f"</GetSuppliersResult>{OK}",
    "non-ASCII names": "<GetSuppliersResult>"
    + supplier(10, "<Code>CAFÉ</Code><Name>Café Ünïcödé &amp; Søn</Name>")
    + supplier(11, "<Name>株式会社 東京</Name><Address1>Zürich — Straße</Address1>")
    + supplier(12, "<Name><![CDATA[<Brackets> & Co]]></Name>")
    + f"</GetSuppliersResult>{OK}",
    "a value that is not a number": "<GetSuppliersResult>"
    + supplier(13, "<Name>Odd</Name><Created>1 May</Created><Updated>2024-05-01</Updated>",
               "<EC>no</EC><CurrencyID>£</CurrencyID><PaymentTerms>thirty</PaymentTerms>")
    + f"</GetSuppliersResult>{OK}",
    "many records": "<GetSuppliersResult>" + "".join(
        supplier(n, f"<Code>S{n:05d}</Code><Name>Supplier {n}</Name>",
                 f"<Email>s{n}@example.com</Email><Created>2024-05-01T09:30:00</Created>"
                 f"<Updated>2024-05-01T09:30:00</Updated><EC>0</EC><CurrencyID>0</CurrencyID>"
                 f"<PaymentTerms>{n % 60}</PaymentTerms>")
        for n in range(1, 2001)) + f"</GetSuppliersResult>{OK}",
    "a comment and a header": f"<!-- c --><GetSuppliersResult>{supplier(14)}<!-- c -->"
    f"</GetSuppliersResult>{OK}",
}


@pytest.mark.parametrize("inner", PLAIN_ANSWERS.values(), ids=PLAIN_ANSWERS.keys())
def test_odd_but_plain_answers_read_as_zeep_read_them(zeep_client, fixed_answer, inner):
    content = suppliers_answer(inner)
    raw = fast_reads(zeep_client, "GetSuppliers", content)
    assert raw is not None, "the reader reads this one itself"
    assert raw == zeep_reads(zeep_client, "GetSuppliers", content)
    assert fixed_answer(content).get_suppliers() == zeep_models(
        zeep_client, "GetSuppliers", convert.to_supplier, content)


def test_what_a_bookkeeper_sees_of_odd_values(fixed_answer):
    content = suppliers_answer(PLAIN_ANSWERS["xsi:nil elements"]
                               .replace("</GetSuppliersResult>", "")
                               .replace(OK, "")
                               + PLAIN_ANSWERS["non-ASCII names"].removeprefix(
                                   "<GetSuppliersResult>"))
    suppliers = fixed_answer(content).get_suppliers()
    assert suppliers == [
        Supplier(id=9, name="Nil Ltd"),
        Supplier(id=10, code="CAFÉ", name="Café Ünïcödé & Søn"),
        Supplier(id=11, name="株式会社 東京", address1="Zürich — Straße"),
        Supplier(id=12, name="<Brackets> & Co"),
    ]


def test_an_answer_in_another_encoding(zeep_client, fixed_answer):
    content = suppliers_answer(PLAIN_ANSWERS["non-ASCII names"].replace(
        supplier(11, "<Name>株式会社 東京</Name><Address1>Zürich — Straße</Address1>"), ""),
        encoding="iso-8859-1")
    assert fast_reads(zeep_client, "GetSuppliers", content) == zeep_reads(
        zeep_client, "GetSuppliers", content)
    assert fixed_answer(content).get_suppliers()[0].name == "Café Ünïcödé & Søn"


# Answers the reader leaves to zeep: read, or refused, as before ------------------

ZEEP_ANSWERS = {
    # zeep makes a record of nothing from an empty or nil entry
    "an empty record": f"<GetSuppliersResult>{supplier(1)}<Supplier /></GetSuppliersResult>{OK}",
    "a nil record": f'<GetSuppliersResult><Supplier xsi:nil="true" /></GetSuppliersResult>{OK}',
}
REFUSED_ANSWERS = {
    "an element the WSDL has not": "<GetSuppliersResult>"
    + supplier(1, "<Nickname>x</Nickname>") + f"</GetSuppliersResult>{OK}",
    "elements out of order": "<GetSuppliersResult><Supplier><Name>B</Name>"
    f"<SupplierID>2</SupplierID></Supplier></GetSuppliersResult>{OK}",
    "a required element missing before others": "<GetSuppliersResult>"
    + supplier(1, "<Created>2024-05-01T09:30:00</Created><EC>1</EC>")
    + f"</GetSuppliersResult>{OK}",
    "an element twice": "<GetSuppliersResult>"
    + supplier(1, "<Name>A</Name><Name>B</Name>") + f"</GetSuppliersResult>{OK}",
    "Status before the list": f"<Status>OK</Status><GetSuppliersResult>{supplier(1)}"
    "</GetSuppliersResult>",
    "something else in the list": f"<GetSuppliersResult>{supplier(1)}<Customer />"
    f"</GetSuppliersResult>{OK}",
}


@pytest.mark.parametrize("inner", ZEEP_ANSWERS.values(), ids=ZEEP_ANSWERS.keys())
def test_unusual_records_are_read_by_zeep_as_before(zeep_client, fixed_answer, inner):
    content = suppliers_answer(inner)
    assert fast_reads(zeep_client, "GetSuppliers", content) is None
    # zeep gives None for an empty entry, which the client skips now (it failed on it)
    expected = zeep_models(zeep_client, "GetSuppliers", convert.to_supplier,
                           content.replace(b"<Supplier />", b""))
    assert fixed_answer(content).get_suppliers() == expected


# zeep types an element by its xsi:type, however the answer writes it.
TYPED = supplier(1, '<Name xmlns:t="http://www.w3.org/2001/XMLSchema" xsi:type = "t:string">'
                 "A</Name>")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_an_element_with_an_xsi_type_is_read_by_zeep(zeep_client, fixed_answer, encoding):
    content = suppliers_answer(f"<GetSuppliersResult>{supplier(2)}{TYPED}</GetSuppliersResult>"
                               f"{OK}", encoding=encoding)
    assert fast_reads(zeep_client, "GetSuppliers", content) is None
    expected = zeep_models(zeep_client, "GetSuppliers", convert.to_supplier, content)
    assert fixed_answer(content).get_suppliers() == expected == [
        Supplier(id=2), Supplier(id=1, name="A")]


@pytest.mark.parametrize("inner", REFUSED_ANSWERS.values(), ids=REFUSED_ANSWERS.keys())
def test_answers_out_of_the_schema_are_refused_as_before(zeep_client, fixed_answer, inner):
    content = suppliers_answer(inner)
    assert fast_reads(zeep_client, "GetSuppliers", content) is None
    with pytest.raises(zeep.exceptions.XMLParseError):
        zeep_reads(zeep_client, "GetSuppliers", content)
    with pytest.raises(UnexpectedResponseError, match="GetSuppliers could not be read"):
        fixed_answer(content).get_suppliers()


def test_status_no_is_the_same_error(zeep_client, fixed_answer):
    content = suppliers_answer("<Status>NO</Status>"
                               "<StatusDetail>Incorrect username or password</StatusDetail>")
    assert fast_reads(zeep_client, "GetSuppliers", content) == {
        "GetSuppliersResult": None, "Status": "NO",
        "StatusDetail": "Incorrect username or password"}
    with pytest.raises(AuthenticationError) as raised:
        fixed_answer(content).get_suppliers()
    assert raised.value.status_detail == "Incorrect username or password"
    assert raised.value.operation == "GetSuppliers"


def test_status_no_from_the_mock(kashflow_account):
    with KashFlowClient(kashflow_account.username, "wrong", url=kashflow_account.url,
                        timeout=5) as wrong, pytest.raises(AuthenticationError):
        wrong.get_suppliers()


def test_a_soap_fault_is_read_by_zeep(fixed_answer):
    fault = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
             b"<soap:Body><soap:Fault><faultcode>soap:Client</faultcode>"
             b"<faultstring>Server was unable to read request.</faultstring>"
             b"</soap:Fault></soap:Body></soap:Envelope>")
    for status in (200, 500):
        with pytest.raises(ValidationError, match="could not read the GetSuppliers request"):
            fixed_answer(fault, status=status).get_suppliers()


def test_a_dtd_or_an_entity_is_refused(zeep_client, fixed_answer):
    content = suppliers_answer(PLAIN_ANSWERS["only the required elements"]).replace(
        b"?>", b'?><!DOCTYPE x [<!ENTITY big "aaaaaaaaaa">]>', 1).replace(
        b"<SupplierID>7", b"<SupplierID>&big;7")
    assert fast_reads(zeep_client, "GetSuppliers", content) is None
    with pytest.raises(UnexpectedResponseError, match="could not be read"):
        fixed_answer(content).get_suppliers()


def test_an_oversized_list_is_refused_before_it_is_read(fixed_answer):
    content = suppliers_answer(PLAIN_ANSWERS["many records"])
    client = fixed_answer(content, max_response_bytes=len(content) - 1)
    with pytest.raises(UnexpectedResponseError, match=f"larger than {len(content) - 1} bytes"):
        client.get_suppliers()
    assert len(fixed_answer(content).get_suppliers()) == 2000


def test_where_the_time_went_is_logged_for_benchmarks(client, caplog):
    with caplog.at_level(logging.DEBUG, logger="kashflow.client"):
        suppliers = client.get_suppliers()
    [figures] = [r.kashflow_list for r in caplog.records if hasattr(r, "kashflow_list")]
    assert isinstance(figures, ListFigures)
    assert (figures.operation, figures.records) == ("GetSuppliers", len(suppliers))
    assert figures.answer_bytes > 1000
    assert 0 < figures.http_seconds <= figures.call_seconds
    assert "GetSuppliers: 7 records" in caplog.text


def test_money_and_flags_keep_their_types(client):
    [standard] = [r for r in client.get_vat_rates() if r.rate == 20]
    assert isinstance(standard.rate, D)
    assert {n.code: n.archived for n in client.get_nominal_codes()}.get(7502) is False


def test_a_list_answered_as_before_is_not_read_again(client, kashflow_account, caplog):
    """get_list gives the digest of KashFlow's answer; given it back, the same answer is not
    read again (no records), and any change in KashFlow is read in full."""
    first = client.get_list("suppliers")
    assert [s.code for s in first.records] == [s.code for s in client.get_suppliers()]
    with caplog.at_level(logging.DEBUG, logger="kashflow.client"):
        again = client.get_list("suppliers", unless=first.digest)
    assert again == type(first)(first.digest, None)
    assert "GetSuppliers: unchanged" in caplog.text
    assert client.get_list("customers", unless=first.digest).records  # another answer

    supplier = first.records[0]
    requests.patch(f"{kashflow_account.base_url}/_mock/accounts/{kashflow_account.username}"
                   f"/suppliers/{supplier.id}", json={"Name": "Renamed Ltd"},
                   timeout=10).raise_for_status()
    changed = client.get_list("suppliers", unless=first.digest)
    assert changed.digest != first.digest
    assert [s.name for s in changed.records if s.id == supplier.id] == ["Renamed Ltd"]



# Documents without their lines ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["receipts", "invoices"])
def test_documents_without_their_lines_read_as_zeep_reads_them(client, demo, kind):
    """A partner's documents, read without their lines (what the duplicate check needs):
    every other field as zeep reads it, for the thousands of a busy partner."""
    nominal = demo.nominal_ids[7502 if kind == "receipts" else 4000]
    if kind == "receipts":
        party, insert = demo.suppliers["BT01"].id, client.insert_receipt
        read = client.get_receipts_for_supplier
    else:
        party, insert = demo.customers["ACME01"].id, client.insert_invoice
        read = client.get_invoices_for_customer
    for i in range(3):
        insert(Document(party_id=party, date=dt.date(2026, 11, 1 + i), reference=f"DOC-{i}",
                        lines=[DocumentLine(quantity=D(1), rate=D("10.00") * (i + 1),
                                            nominal_id=nominal, vat_rate=D(20),
                                            vat_amount=D("2.00") * (i + 1),
                                            description=f"Line {n}") for n in range(2)]))
    whole = read(party)
    assert [len(d.lines) for d in whole] == [2, 2, 2]
    headers = read(party, lines=False)
    assert headers == [replace(d, lines=[]) for d in whole]
    assert [(d.reference, d.gross_amount) for d in headers] == [
        ("DOC-0", D("24.00")), ("DOC-1", D("48.00")), ("DOC-2", D("72.00"))]
