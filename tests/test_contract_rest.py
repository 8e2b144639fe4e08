"""The REST client and the mock's REST API against KashFlow's REST reference, as
test_contract.py holds the SOAP side to the real WSDL.

The reference (../shared/reference/kashflow-rest-v2.md) names every field KashFlow's Swagger
gives, in its tables (the first column) and in its text (between backticks). What our client
sends and what the mock answers must use those names only: a field the reference does not
know is a guess that real KashFlow would ignore or refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from rawrest import log_in, start
from rawsoap import new_account
from reference import REST_REFERENCE, needs_rest_reference

from kashflow import rest_convert
from kashflow.models import Customer, Document, DocumentLine, Payment, Supplier

pytestmark = needs_rest_reference
NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def section(title: str) -> str:
    """The reference's text under the heading that starts with title, to the next heading
    of the same or a higher level."""
    lines = REST_REFERENCE.read_text().splitlines()
    start_at = next(n for n, text in enumerate(lines)
                    if text.startswith("#") and text.lstrip("#").strip().startswith(title))
    level = len(lines[start_at]) - len(lines[start_at].lstrip("#"))
    end = next((n for n in range(start_at + 1, len(lines))
                if lines[n].startswith("#")
                and len(lines[n]) - len(lines[n].lstrip("#")) <= level), len(lines))
    return "\n".join(lines[start_at:end])


def names(text: str) -> set[str]:
    """Every field name the text gives: the first cells of its tables' rows, and the names
    between backticks ("Line1..Line4" is Line1 to Line4)."""
    found: set[str] = set()
    pieces = re.findall(r"`([^`]*)`", text)
    pieces += [row.split("|")[1] for row in text.splitlines()
               if row.startswith("|") and not row.startswith("|---")]
    for piece in pieces:
        for stem, first, last in re.findall(r"([A-Za-z]+)(\d)\.\.(?:[A-Za-z]+)?(\d)", piece):
            found |= {f"{stem}{n}" for n in range(int(first), int(last) + 1)}
        found |= set(NAME.findall(piece))
    return found


def table(text: str, heading: str) -> set[str]:
    """The first cells of the rows of the table whose header's first cell is heading."""
    rows: set[str] = set()
    inside = False
    for row in text.splitlines():
        if not row.startswith("|"):
            inside = False
            continue
        first = row.split("|")[1].strip()
        if first == heading:
            inside = True
        elif inside and not first.startswith("---"):
            rows |= set(NAME.findall(first))
    assert rows, f"no table headed {heading!r}"
    return rows


def keys(records: list[dict]) -> set[str]:
    return {key for record in records for key in record}


def assert_known(sent: set[str], known: set[str], what: str) -> None:
    unknown = sent - known
    assert not unknown, f"{what}: {sorted(unknown)} not in the REST reference"


# What our client sends ------------------------------------------------------------------


def rich_document() -> Document:
    """A document with everything the client can send: a due date, a project, a foreign
    currency, an exempt line and a line on a project of its own."""
    return Document(party_id=1, date=dt.date(2026, 5, 1), due_date=dt.date(2026, 5, 31),
                    reference="R-1", project_id=7, currency_code="EUR",
                    exchange_rate=D("1.17"), lines=[
                        DocumentLine(D(1), "Hosting", D("10.00"), 11, D(20), D("2.00"),
                                     project_id=7),
                        DocumentLine(D(1), "Postage", D("1.00"), 12, D(-1), D(0))])


def sent(purchase: bool) -> dict:
    payment = Payment(document_number=0, date=dt.date(2026, 5, 2), amount=D("13.00"),
                      method_id=3, bank_account_id=4, note="Paid")
    return rest_convert.document_body(rich_document(), "CODE", purchase, {11: 7502, 12: 7501},
                                      {7: 1}, [payment])


def test_a_purchase_the_client_sends_uses_the_references_fields():
    purchases = section("7. Purchases")
    body = sent(purchase=True)
    assert_known(set(body), table(purchases, "request field"), "purchase")
    assert_known(keys(body["LineItems"]), table(purchases, "line field"), "purchase line")
    assert_known(keys(body["PaymentLines"]), table(purchases, "PaymentLines request field "
                                                   "(purchase)"), "purchase payment line")
    assert_known(set(body["Currency"]), names(purchases), "purchase currency")


def test_a_payment_put_on_a_purchase_uses_the_references_fields(rest):
    """A payment on a purchase in KashFlow is a PUT of the purchase read back: only the
    request's fields go back."""
    made = rest.call("POST", "/purchases", {
        "SupplierCode": "BT01", "IssuedDate": "2026-11-02 00:00:00", "LineItems": [
            {"Description": "Broadband", "Quantity": 1, "Rate": 40, "VATLevel": 20,
             "VATAmount": 8, "NominalCode": 7502}]})
    payment = Payment(document_number=made.json()["Number"], date=dt.date(2026, 11, 3),
                      amount=D("48.00"), method_id=3, bank_account_id=4, note="Paid")
    body = rest_convert.replacement_body(made.json(), True, payment)
    purchases = section("7. Purchases")
    assert_known(set(body), table(purchases, "request field"), "purchase put back")
    assert_known(keys(body["LineItems"]), table(purchases, "line field"), "its lines")
    assert_known(keys(body["PaymentLines"]), table(purchases, "PaymentLines request field "
                                                   "(purchase)"), "its payment lines")


def test_a_sale_the_client_sends_uses_the_references_fields():
    sales = section("8. Invoices")
    request = sales.split("Request:", 1)[1].split("|", 1)[0]
    body = sent(purchase=False)
    assert_known(set(body) - {"LineItems", "PaymentLines"}, names(request), "invoice")
    # Invoice lines: the table, and the fields it says are "as purchases".
    line_fields = table(sales, "invoice line field") | table(section("7. Purchases"),
                                                             "line field")
    assert_known(keys(body["LineItems"]), line_fields, "invoice line")
    payments = sales.split("Invoice `PaymentLines[]` request:", 1)[1].split(";", 1)[0]
    assert_known(keys(body["PaymentLines"]), names(payments), "invoice payment line")


def test_a_new_supplier_or_customer_the_client_sends_uses_the_references_fields():
    partners = section("6. Suppliers and customers")
    party = {"name": "Paper Mill Ltd", "contact": "Ann", "email": "ann@example.com",
             "telephone": "0113", "address1": "1 Mill Lane", "postcode": "LS1 1AA",
             "vat_number": "GB1", "payment_terms": 30}
    supplier = rest_convert.party_body(Supplier(**party), True, "EUR")
    supplier_fields = table(partners, "request field")
    assert_known(set(supplier), supplier_fields, "supplier")
    assert_known(set(supplier["Address"]), names(partners), "supplier address")
    assert_known(keys(supplier["Contacts"]), names(partners), "supplier contact")
    assert_known(set(supplier["PaymentTerms"]) | set(supplier["Currency"]), names(partners),
                 "supplier terms and currency")

    customers = section("Customers")
    post = customers.split("`POST /customers`", 1)[1]
    customer = rest_convert.party_body(Customer(**party), False, "EUR")
    assert_known(set(customer), names(post), "customer")
    assert_known(keys(customer["Addresses"]), names(partners), "customer address")


# What the mock answers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def rest(mock_server):
    return log_in(new_account(mock_server.url))


def test_the_mocks_lists_use_the_references_fields(rest):
    lists = section("5. Lists")
    assert_known(keys(rest.get("/nominals")), table(lists, "field"), "nominal")
    assert keys(rest.get("/vat/settings/vatrates")) == {"VATId", "VATRate", "VATText"}
    assert_known(keys(rest.get("/currencies")), names(section("GET /currencies")),
                 "currency")
    assert_known(keys(rest.get("/bankaccounts")), names(section("GET /bankaccounts")),
                 "bank account")
    projects = rest.get("/projects")
    assert set(projects) == {"MetaData", "Data"}
    assert_known(set(projects["MetaData"]), names(section("4. Common conventions")),
                 "paging")
    assert_known(keys(projects["Data"]), names(section("GET /projects")), "project")


def test_the_mocks_suppliers_and_customers_use_the_references_fields(rest):
    partners = section("6. Suppliers and customers")
    supplier_fields = names(partners)
    assert_known(keys(rest.get("/suppliers")["Data"]), supplier_fields, "supplier row")
    made = rest.call("POST", "/suppliers", {"Name": "Paper Mill Ltd",
                                            "CreateSupplierCodeIfDuplicate": True})
    assert made.status_code == 201, made.text
    assert_known(set(made.json()), supplier_fields, "new supplier")
    assert_known(keys(rest.get("/customers")["Data"]), names(section("Customers"))
                 | supplier_fields, "customer row")


def test_the_mocks_purchase_uses_the_references_fields(rest):
    purchases = section("7. Purchases")
    made = rest.call("POST", "/purchases", {
        "SupplierCode": "BT01", "IssuedDate": "2026-11-02 00:00:00",
        "SupplierReference": "C-1", "LineItems": [
            {"Description": "Broadband", "Quantity": 1, "Rate": 40, "VATLevel": 20,
             "VATAmount": 8, "NominalCode": 7502}]})
    assert made.status_code == 201, made.text
    purchase = made.json()
    known = names(purchases)
    assert_known(set(purchase), known, "purchase")
    assert_known(keys(purchase["LineItems"]), known, "purchase line")
    assert_known(set(purchase["Currency"]), known, "purchase currency")
    listed = rest.get("/purchases", suppliercode="BT01")
    assert_known(keys(listed["Data"]), known, "purchase row")


def test_the_mocks_login_and_errors_are_the_references(rest, mock_server):
    login = section("2. Authentication")
    account = new_account(mock_server.url)
    first = start(mock_server.url, account.username, account.password)
    assert first.status_code == 201
    assert_known(set(first.json()), names(login), "login's first step")
    assert len(first.json()["MemorableWordList"]) == 3  # "Exactly 3 positions are asked"

    # A bad token: the reference's status and body, word for word.
    rest_token, rest.token = rest.token, "496F5DBA-DBB2-42A3-9645-DA0253220C9E"
    refused = rest.call("GET", "/nominals")
    rest.token = rest_token
    assert refused.status_code == 401
    assert refused.json() == {"Error": "InvalidSessionToken",
                              "Message": "Session token provided is invalid."}
    assert '"Error":"InvalidSessionToken"' in section("3. Errors")

    # A refusal: 400 with the reference's error model, {Message, Error}.
    bad = rest.call("POST", "/purchases", {"SupplierCode": "NOPE", "LineItems": []})
    assert bad.status_code == 400
    assert set(bad.json()) == {"Error", "Message"}
