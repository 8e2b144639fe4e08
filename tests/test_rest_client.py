"""The REST client against the mock over real HTTP: the same models and errors as the SOAP
client, the login made once and made again once when KashFlow ends the session, and a paid
purchase in one call."""

import datetime as dt
import logging
from decimal import Decimal as D

import pytest
import requests

from kashflow.errors import (
    ApiDisabledError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    RateLimitedError,
    UnclearOutcomeError,
    ValidationError,
)
from kashflow.models import Attachment, Customer, Document, DocumentLine, Payment, Supplier
from kashflow.rest_client import KashFlowRestClient
from kashflow.rest_failures import AccountLockedError, MemorableWordError, SessionExpiredError

MAY_1 = dt.date(2026, 5, 1)


@pytest.fixture
def rest(kashflow_account):
    with KashFlowRestClient(kashflow_account.username, kashflow_account.password, "pineapple",
                            url=f"{kashflow_account.base_url}/v2", timeout=5.0,
                            backoff=0.01) as client:
        yield client


def calls(base_url):
    return requests.get(f"{base_url}/_mock/calls", timeout=10).json()


def clear_calls(base_url):
    requests.delete(f"{base_url}/_mock/calls", timeout=10).raise_for_status()


def test_the_lists_are_the_soap_clients(rest, client):
    assert [(n.id, n.code, n.name) for n in rest.get_nominal_codes()] == [
        (n.id, n.code, n.name) for n in client.get_nominal_codes()]
    assert [(r.id, r.rate) for r in rest.get_vat_rates()] == [
        (r.id, r.rate) for r in client.get_vat_rates()]
    assert [(c.id, c.code, c.exchange_rate, c.is_default) for c in rest.get_currencies()] == [
        (c.id, c.code, c.exchange_rate, c.is_default) for c in client.get_currencies()]
    assert [(b.id, b.name, b.code) for b in rest.get_bank_accounts()] == [
        (b.id, b.name, b.code) for b in client.get_bank_accounts()]
    assert [m.name for m in rest.get_receipt_payment_methods()] == [
        m.name for m in client.get_receipt_payment_methods()]
    soap = {s.code: (s.id, s.name, s.currency_id) for s in client.get_suppliers()}
    assert {s.code: (s.id, s.name, s.currency_id) for s in rest.get_suppliers()} == soap
    assert {c.code: c.id for c in rest.get_customers()} == {
        c.code: c.id for c in client.get_customers()}
    assert rest.get_supplier("CLOUD01").name == "CloudHost Inc"
    with pytest.raises(NotFoundError):
        rest.get_supplier("NOPE01")


def test_a_paid_purchase_goes_in_one_call_and_reads_back_as_on_soap(rest, client, demo,
                                                                   kashflow_account):
    supplier = demo.suppliers["BT01"]
    rest.get_suppliers(), rest.get_nominal_codes(), rest.get_projects()  # the codes, once
    clear_calls(kashflow_account.base_url)
    doc = Document(party_id=supplier.id, date=MAY_1, reference="REST-1", lines=[
        DocumentLine(D(1), "Broadband", D("40.00"), demo.nominal_ids[7502], D(20), D("8.00")),
        DocumentLine(D(2), "Stamps", D("1.25"), demo.nominal_ids[7501], D(-1), D(0))])
    paid = Payment(document_number=0, date=MAY_1, amount=D("50.50"),
                   method_id=demo.receipt_method_id, bank_account_id=demo.bank_account_id)
    number = rest.insert_receipt(doc, paid)
    assert calls(kashflow_account.base_url) == {"POST /purchases": 1}

    by_rest, by_soap = rest.get_receipt(number), client.get_receipt(number)
    for document in (by_rest, by_soap):
        assert (document.net_amount, document.vat_amount, document.amount_paid) == (
            D("42.50"), D("8.00"), D("50.50"))
        assert [(ln.nominal_id, ln.vat_rate) for ln in document.lines] == [
            (demo.nominal_ids[7502], D(20)), (demo.nominal_ids[7501], D(-1))]
    assert (by_rest.reference, by_rest.party_id, by_rest.db_id) == (
        by_soap.reference, by_soap.party_id, by_soap.db_id)
    assert by_rest.paid and by_soap.paid

    [listed] = rest.get_receipts_for_supplier(supplier.id, lines=False)
    assert (listed.number, listed.reference, listed.gross_amount) == (number, "REST-1",
                                                                      D("50.50"))
    rest.delete_receipt(number)
    with pytest.raises(NotFoundError):
        rest.get_receipt(number)


def test_a_euro_sale_goes_in_euros(rest, client, demo):
    client.set_customer_currency("ACME01", "EUR")
    sale = Document(party_id=demo.customers["ACME01"].id, date=MAY_1, reference="EU-1",
                    currency_code="EUR", exchange_rate=D("1.17"), lines=[
                        DocumentLine(D(1), "Design", D("117.00"), demo.nominal_ids[4000],
                                     D(20), D("23.40"))])
    number = rest.insert_invoice(sale)
    invoice = client.get_invoice(number)
    assert (invoice.currency_code, invoice.exchange_rate, invoice.net_amount) == (
        "EUR", D("1.17"), D("117.00"))


def test_a_new_supplier_and_customer_are_the_soap_sides_with_a_code_made_from_the_name(
        rest, client, demo):
    euro = next(c.id for c in client.get_currencies() if c.code == "EUR")
    supplier_id = rest.insert_supplier(Supplier(
        name="Paper Mill Ltd", contact="Ann Reed", email="ann@papermill.example",
        address1="1 Mill Lane", postcode="LS1 1AA", vat_number="GB123456789",
        payment_terms=30, currency_id=euro))
    held = client.get_supplier_by_id(supplier_id)
    assert (held.code, held.name, held.contact, held.email, held.address1, held.postcode,
            held.vat_number, held.payment_terms, held.currency_id) == (
        "PAPE01", "Paper Mill Ltd", "Ann Reed", "ann@papermill.example", "1 Mill Lane",
        "LS1 1AA", "GB123456789", 30, euro)
    # A second of the same name gets the next code; its documents go by it at once.
    second = rest.insert_supplier(Supplier(name="Paper Mill Ltd"))
    assert client.get_supplier_by_id(second).code == "PAPE02"
    number = rest.insert_receipt(Document(party_id=second, date=MAY_1, lines=[
        DocumentLine(D(1), "Paper", D("10.00"), demo.nominal_ids[7502], D(20), D("2.00"))]))
    assert client.get_receipt(number).party_id == second

    customer_id = rest.insert_customer(Customer(name="Hill & Sons", address1="2 Hill Rd",
                                                postcode="M1 2BB", vat_number="GB987"))
    held_customer = client.get_customer_by_id(customer_id)
    assert (held_customer.code, held_customer.address1, held_customer.postcode,
            held_customer.vat_number) == ("HILL01", "2 Hill Rd", "M1 2BB", "GB987")


def test_a_credit_note_is_set_against_the_invoice_it_credits(rest, client, demo):
    def sale(amount, reference):
        return Document(party_id=demo.customers["ACME01"].id, date=MAY_1, reference=reference,
                        lines=[DocumentLine(D(1), "Design", D(amount), demo.nominal_ids[4000],
                                            D(20), D(amount) / 5)])
    invoice = client.get_invoice(rest.insert_invoice(sale("100.00", "S-1")))
    credit = client.get_invoice(rest.insert_invoice(sale("-30.00", "CN-1")))
    assert rest.apply_credit_note(invoice.db_id, credit.db_id) is True
    assert client.get_invoice(invoice.number).amount_paid == D("36.00")
    assert client.get_invoice(credit.number).amount_paid == D("-36.00")
    # Used up: said in KashFlow's words, and nothing changes.
    with pytest.raises(ValidationError) as refused:
        rest.apply_credit_note(invoice.db_id, credit.db_id)
    assert "Nothing is left to apply" in refused.value.status_detail
    assert client.get_invoice(invoice.number).amount_paid == D("36.00")


def test_a_file_goes_to_the_document_and_is_listed(rest, client, demo, kashflow_account):
    number = rest.insert_receipt(Document(party_id=demo.suppliers["BT01"].id, date=MAY_1,
                                          lines=[DocumentLine(D(1), "Line", D("10.00"),
                                                              demo.nominal_ids[7502], D(20),
                                                              D("2.00"))]))
    pdf = Attachment("bill BT 1.pdf", b"%PDF-1.4 a bill")
    file_id = rest.attach_file_to_receipt(number, pdf)
    assert file_id > 0
    assert rest.get_receipt_files(number) == ["bill BT 1.pdf"]
    stored, = kashflow_account.state()["attachments"]
    assert (stored["Filename"], stored["ContentType"], stored["Size"]) == (
        "bill BT 1.pdf", "application/pdf", len(pdf.content))
    # Without Dropbox connected KashFlow takes no file, and says why.
    kashflow_account.settings(dropbox_connected=False)
    with pytest.raises(ValidationError) as refused:
        rest.attach_file_to_receipt(number, pdf)
    assert "Connect Dropbox to KashFlow" in refused.value.status_detail
    assert rest.get_receipt_files(number) == ["bill BT 1.pdf"]


def test_a_payment_on_a_purchase_in_kashflow_puts_it_back_whole_with_the_payment(
        rest, client, demo):
    client.set_supplier_currency("BT01", "EUR")
    number = rest.insert_receipt(Document(
        party_id=demo.suppliers["BT01"].id, date=MAY_1, reference="PAY-LATER",
        currency_code="EUR", exchange_rate=D("1.17"), project_id=demo.project_id, lines=[
            DocumentLine(D(2), "Paper", D("10.00"), demo.nominal_ids[7502], D(20), D("4.00")),
            DocumentLine(D(1), "Stamps", D("1.00"), demo.nominal_ids[7501], D(-1), D(0))]))
    before = client.get_receipt(number)
    payment = Payment(document_number=number, date=dt.date(2026, 5, 9), amount=D("10.00"),
                      method_id=demo.receipt_method_id, bank_account_id=demo.bank_account_id,
                      note="Part paid")
    first = rest.insert_receipt_payment(payment)
    second = rest.insert_receipt_payment(Payment(**{**payment.__dict__, "amount": D("15.00")}))
    assert 0 < first < second
    after = client.get_receipt(number)
    assert after.amount_paid == D("25.00") and after.paid
    # Everything else as it was: lines, currency, project, reference, number.
    keep = ("reference", "currency_code", "exchange_rate", "project_id", "net_amount",
            "vat_amount", "party_id", "date", "db_id")
    assert [getattr(after, k) for k in keep] == [getattr(before, k) for k in keep]
    assert [(ln.description, ln.quantity, ln.rate, ln.vat_rate, ln.nominal_id)
            for ln in after.lines] == [(ln.description, ln.quantity, ln.rate, ln.vat_rate,
                                        ln.nominal_id) for ln in before.lines]


def test_a_project_kashflow_no_longer_has_is_said_and_nothing_sent(rest, demo,
                                                                   kashflow_account):
    doc = Document(party_id=demo.suppliers["BT01"].id, date=MAY_1, project_id=999999, lines=[
        DocumentLine(D(1), "Line", D("10.00"), demo.nominal_ids[7502], D(20), D("2.00"))])
    with pytest.raises(NotFoundError) as missing:
        rest.insert_receipt(doc)
    assert missing.value.status_detail == "There is no project with the ID 999999"
    assert kashflow_account.state()["receipts"] == []


def test_a_supplier_without_a_name_is_refused_in_kashflows_words(rest, kashflow_account):
    before = len(kashflow_account.state()["suppliers"])
    with pytest.raises(ValidationError) as refused:
        rest.insert_supplier(Supplier(name="  "))
    assert "The supplier has no name" in refused.value.status_detail
    assert len(kashflow_account.state()["suppliers"]) == before


def test_a_refusal_is_a_validation_error_in_kashflows_words(rest, demo, kashflow_account):
    doc = Document(party_id=demo.suppliers["BT01"].id, date=MAY_1, lines=[
        DocumentLine(D(1), "Odd VAT", D("10.00"), demo.nominal_ids[7502], D("17.5"),
                     D("1.75"))])
    with pytest.raises(ValidationError) as refused:
        rest.insert_receipt(doc)
    assert "17.5% is not one of this account's VAT rates" in refused.value.status_detail
    assert kashflow_account.state()["receipts"] == []


def test_the_session_is_made_once_and_again_once_when_kashflow_ends_it(rest,
                                                                       kashflow_account):
    base = kashflow_account.base_url
    clear_calls(base)
    rest.get_currencies(), rest.get_vat_rates()
    assert calls(base)["POST /sessiontoken"] == 1 and calls(base)["PUT /sessiontoken"] == 1

    requests.delete(f"{base}/_mock/accounts/{kashflow_account.username}/sessions", timeout=10)
    assert rest.get_currencies()
    assert calls(base)["POST /sessiontoken"] == 2 and calls(base)["GET /currencies"] == 3

    # A session that ends as soon as it is made: one new login, then the error.
    kashflow_account.settings(session_idle_minutes=0)
    with pytest.raises(SessionExpiredError):
        rest.get_currencies()
    assert calls(base)["POST /sessiontoken"] == 3


def test_login_failures_are_named(kashflow_account):
    url = f"{kashflow_account.base_url}/v2"

    def client(password=kashflow_account.password, word="pineapple"):
        return KashFlowRestClient(kashflow_account.username, password, word, url=url,
                                  timeout=5.0, max_retries=0)

    with pytest.raises(MemorableWordError, match="memorable word"):
        client(word="zzzzzzzzz").get_currencies()
    with pytest.raises(AuthenticationError, match="memorable word does not have"):
        client(word="ab").get_currencies()
    with pytest.raises(AuthenticationError, match="username or password") as wrong:
        client(password="wrong").get_currencies()
    assert type(wrong.value) is AuthenticationError
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            client(password="wrong").get_currencies()
    with pytest.raises(AccountLockedError, match="locked"):
        client().get_currencies()
    kashflow_account.settings(locked=False, rest_api_enabled=False)
    with pytest.raises(ApiDisabledError, match="REST API is switched off"):
        client().get_currencies()
    with pytest.raises(ConfigurationError, match="does not offer KashFlow's REST API"):
        KashFlowRestClient("u", "p", "pineapple", url=f"{kashflow_account.base_url}/nothing",
                           timeout=5.0).get_currencies()


def test_faults_are_retried_or_told_unclear_as_on_soap(rest, demo, inject_fault,
                                                       kashflow_account):
    inject_fault("GET /currencies", "rate_limit")
    assert rest.get_currencies()  # retried after the pause
    inject_fault("GET /currencies", "rate_limit", times=10)
    no_retry = KashFlowRestClient(kashflow_account.username, kashflow_account.password,
                                  "pineapple", url=f"{kashflow_account.base_url}/v2",
                                  timeout=5.0, max_retries=0)
    with pytest.raises(RateLimitedError):
        no_retry.get_currencies()
    requests.delete(f"{kashflow_account.base_url}/_mock/faults", timeout=10)

    doc = Document(party_id=demo.suppliers["BT01"].id, date=MAY_1, reference="LOST-1",
                   lines=[DocumentLine(D(1), "Calls", D("10.00"), demo.nominal_ids[7502],
                                       D(20), D("2.00"))])
    rest.get_suppliers(), rest.get_nominal_codes(), rest.get_projects()
    for kind in ("error_before", "drop_after_write", "http_500"):
        inject_fault("POST /purchases", kind)
        with pytest.raises(UnclearOutcomeError):
            rest.insert_receipt(doc)
    # Only the dropped answer's write was applied, and nothing was sent twice.
    assert [r["CustomerReference"] for r in kashflow_account.state()["receipts"]] == [
        "LOST-1"]


def test_no_secret_is_logged(kashflow_account, caplog):
    caplog.set_level(logging.DEBUG)
    with KashFlowRestClient(kashflow_account.username, kashflow_account.password,
                            "Pineapple", url=f"{kashflow_account.base_url}/v2",
                            timeout=5.0) as client:
        kashflow_account.settings(memorable_word="Pineapple")
        client.get_currencies()
        token = client._token
    # What the client's process logs (the mock's own request log, werkzeug's, is the server's).
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if not r.name.startswith("werkzeug"))
    assert kashflow_account.password not in logged and "Pineapple" not in logged
    assert token and token not in logged
    assert "GET" in logged  # the calls themselves are logged


def test_a_next_page_elsewhere_is_followed_on_the_clients_own_server(rest, monkeypatch):
    sent = []
    real_send = rest._transport.send

    def send(method, url, **kwargs):
        sent.append(url)
        return real_send(method, url, **kwargs)

    monkeypatch.setattr(rest._transport, "send", send)
    assert rest._url("https://evil.example/v2/suppliers?page=2").startswith(rest.url[:20])
    rest.get_suppliers()
    assert all(url.startswith(rest.url.rsplit("/v2", 1)[0]) for url in sent)


def test_the_rest_client_answers_as_the_soap_client_but_where_rest_cannot():
    """One interface: the module calls either client alike. What only SOAP has is named
    here, so that a new SOAP call gets its REST twin or a reason."""
    from kashflow import KashFlowClient

    def public(cls: type) -> set[str]:
        return {name for name in dir(cls) if not name.startswith("_")}

    assert public(KashFlowClient) - public(KashFlowRestClient) == {
        "auto_auth_ip",  # REST has no IP access list
        "get_receipts_page",  # REST pages every list itself (_pages)
        "get_supplier_by_id", "get_customer_by_id",  # REST reads them by code
        "get_supplier_currency", "get_customer_currency",  # in the record over REST
        "set_supplier_currency", "set_customer_currency",  # given when created over REST
    }
    assert KashFlowRestClient.pays_with_document and not KashFlowClient.pays_with_document

