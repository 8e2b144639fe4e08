"""The mock KashFlow's browser pages: log in, API Settings, access list, Purchases, Sales."""

from __future__ import annotations

import base64
import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import mock_kashflow
from mock_kashflow import documents
from mock_kashflow.documents import INVOICE, RECEIPT
from mock_kashflow.models import Account
from mock_kashflow.pages_common import money, vat_rate

USER, PASSWORD = "owner@example.com", "web-login-secret"
PDF = b"%PDF-1.4\n% a tiny bill\n%%EOF\n"


@pytest.fixture
def app() -> Flask:
    return mock_kashflow.create_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/_mock/accounts",
                           json={"username": USER, "password": PASSWORD, "seed": "demo"})
    assert response.status_code == 201
    return client


@pytest.fixture
def browser(client: FlaskClient) -> FlaskClient:
    """A client logged in to the web pages."""
    response = log_in(client)
    assert response.status_code == 302
    return client


def csrf_token(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, username: str = USER, password: str = PASSWORD) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def post_form(client: FlaskClient, path: str, data: dict[str, str], page: str | None = None,
              **kwargs: Any) -> Any:
    """Submit a form as a browser does: with the token from the page it is on."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)},
                       **kwargs)


def stored(app: Flask) -> Account:
    return app.config["BACKEND"].accounts[USER]


def settings(client: FlaskClient) -> dict[str, Any]:
    return client.get(f"/_mock/accounts/{USER}").get_json()["settings"]


def soap_auto_auth(client: FlaskClient, password: str, key: str) -> str:
    envelope = (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<AutoAuthIP xmlns="KashFlow"><UserName>{USER}</UserName><Password>{password}'
        f'</Password><appName>Dext</appName><AutoAuthKey>{key}</AutoAuthKey></AutoAuthIP>'
        '</soap:Body></soap:Envelope>')
    response = client.post("/api/service.asmx", data=envelope, headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"KashFlow/AutoAuthIP"'})
    return response.get_data(as_text=True)


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def totals(page: str) -> dict[str, str]:
    """The rows of a document's totals table."""
    table = page[page.index('<table class="totals">'):]
    table = table[:table.index("</table>")]
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]*)</td>', table))


# Logging in --------------------------------------------------------------


def test_pages_need_a_login(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"] == "/login"
    for path in ("/api-settings", "/purchases", "/sales/1", "/apps"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_wrong_password_or_unknown_user_is_refused(client: FlaskClient) -> None:
    for username, password in ((USER, "wrong"), ("nobody", PASSWORD), (USER, "")):
        response = log_in(client, username, password)
        assert response.status_code == 401
        assert "Incorrect username or password" in html(response)
    assert client.get("/").status_code == 302


def test_log_in_shows_home_and_log_out_ends_the_session(browser: FlaskClient) -> None:
    page = html(browser.get("/"))
    assert "<h1>Demo Trading Ltd</h1>" in page
    for tab in ("Home", "Sales", "Purchases", "Apps", "API Settings"):
        assert f">{tab}" in page
    assert "Log out" in page
    assert browser.get("/logout").headers["Location"] == "/login"
    assert browser.get("/").status_code == 302


def test_log_in_returns_to_the_page_asked_for(client: FlaskClient) -> None:
    token = csrf_token(client, "/login?next=/api-settings")
    response = client.post("/login", data={"username": USER, "password": PASSWORD,
                                           "next": "/api-settings", "csrf_token": token})
    assert response.headers["Location"] == "/api-settings"
    client.get("/logout")
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": USER, "password": PASSWORD,
                                           "next": "//evil.example/", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_web_login_takes_the_login_password_when_the_api_has_its_own(
        app: Flask, client: FlaskClient) -> None:
    client.patch(f"/_mock/accounts/{USER}/settings",
                 json={"password_mode": "separate", "api_password": "api-only"})
    assert log_in(client, USER, "api-only").status_code == 401
    assert log_in(client, USER, PASSWORD).status_code == 302


def test_a_form_without_the_csrf_token_is_refused(browser: FlaskClient) -> None:
    for token in (None, "forged"):
        data = {"password_mode": "login"} | ({"csrf_token": token} if token else {})
        response = browser.post("/api-settings", data=data)
        assert response.status_code == 400
        assert "The form was not accepted" in html(response)
    assert settings(browser)["soap_api_enabled"] is True
    response = browser.post("/api-settings/access-list", data={"ip": "203.0.113.9"})
    assert response.status_code == 400
    assert browser.get(f"/_mock/accounts/{USER}").get_json()["access_list"] == []
    response = browser.post("/login", data={"username": USER, "password": PASSWORD})
    assert response.status_code == 400


# API Settings ------------------------------------------------------------


def test_api_settings_shows_the_username_and_the_autoauth_key(browser: FlaskClient) -> None:
    page = html(browser.get("/api-settings"))
    key = settings(browser)["autoauth_key"]
    assert "<h1>API Settings</h1>" in page
    assert f'id="api-username">{USER}</strong>' in page
    assert "username to enter in apps" in page
    assert re.search(rf'<input id="autoauth-key"[^>]* value="{key}" readonly', page)
    assert "Copy code" in page and "copy.js" in page
    for label in ("Enable SOAP API", "Enable AutoAuth",
                  "Restrict access to specific IP addresses", "Edit address list",
                  "Password settings", "Use login password", "Separate API password",
                  ">Update<"):
        assert label in page
    assert browser.get("/static/copy.js").status_code == 200


def test_the_key_is_the_one_the_control_api_gave(app: Flask) -> None:
    client = app.test_client()
    created = client.post("/_mock/accounts", json={"username": "second", "password": "pw",
                                                   "seed": "empty"}).get_json()
    log_in(client, "second", "pw")
    assert f'value="{created["autoauth_key"]}"' in html(client.get("/api-settings"))


def test_turning_the_soap_api_off_and_on(browser: FlaskClient) -> None:
    response = post_form(browser, "/api-settings",
                         {"autoauth_enabled": "1", "restrict_ips": "1", "password_mode": "login"})
    assert response.status_code == 302
    assert settings(browser)["soap_api_enabled"] is False
    page = html(browser.get("/api-settings"))
    assert "Your API settings have been updated." in page
    assert 'id="soap_api_enabled" name="soap_api_enabled" value="1">' in page
    key = settings(browser)["autoauth_key"]
    assert "The SOAP API is not enabled" in soap_auto_auth(browser, PASSWORD, key)

    post_form(browser, "/api-settings", {"soap_api_enabled": "1", "autoauth_enabled": "1",
                                         "restrict_ips": "1", "password_mode": "login"})
    assert settings(browser)["soap_api_enabled"] is True
    assert "<Status>OK</Status>" in soap_auto_auth(browser, PASSWORD, key)


def test_autoauth_off_hides_the_key(browser: FlaskClient) -> None:
    post_form(browser, "/api-settings", {"soap_api_enabled": "1", "password_mode": "login"})
    current = settings(browser)
    assert current["autoauth_enabled"] is False and current["restrict_ips"] is False
    page = html(browser.get("/api-settings"))
    assert 'id="autoauth-key"' not in page and current["autoauth_key"] not in page


def test_a_separate_api_password(app: Flask, browser: FlaskClient) -> None:
    form = {"soap_api_enabled": "1", "autoauth_enabled": "1", "restrict_ips": "1",
            "password_mode": "separate"}
    response = post_form(browser, "/api-settings", {**form, "api_password": ""})
    assert response.status_code == 400
    assert "Enter the separate API password" in html(response)
    assert settings(browser)["password_mode"] == "login"

    post_form(browser, "/api-settings", {**form, "api_password": "for-apps-only"})
    assert settings(browser)["password_mode"] == "separate"
    assert stored(app).api_password_ok("for-apps-only")
    assert not stored(app).api_password_ok(PASSWORD)
    # The password is never shown; blank keeps it.
    assert "for-apps-only" not in html(browser.get("/api-settings"))
    post_form(browser, "/api-settings", {**form, "api_password": ""})
    assert stored(app).api_password_ok("for-apps-only")
    key = settings(browser)["autoauth_key"]
    assert "<Status>OK</Status>" in soap_auto_auth(browser, "for-apps-only", key)
    assert "Incorrect username or password" in soap_auto_auth(browser, PASSWORD, key)

    post_form(browser, "/api-settings", {**form, "password_mode": "login"})
    assert stored(app).api_password_ok(PASSWORD)


def test_regenerate_the_key(browser: FlaskClient) -> None:
    old = settings(browser)["autoauth_key"]
    response = post_form(browser, "/api-settings/autoauth-key", {}, page="/api-settings")
    assert response.status_code == 302
    new = settings(browser)["autoauth_key"]
    assert new != old and re.fullmatch(r"[0-9A-F]{8}-[0-9A-F]{4}", new)
    assert f'value="{new}"' in html(browser.get("/api-settings"))


# Access list -------------------------------------------------------------


def test_access_list_add_and_remove(browser: FlaskClient) -> None:
    page = html(browser.get("/api-settings/access-list"))
    assert "<h1>Access list</h1>" in page and "Back to API Settings" in page
    response = post_form(browser, "/api-settings/access-list",
                         {"ip": " 203.0.113.7 ", "comment": "Office <main>"})
    assert response.status_code == 302
    page = html(browser.get("/api-settings/access-list"))
    assert "203.0.113.7" in page and "Office &lt;main&gt;" in page
    assert browser.get(f"/_mock/accounts/{USER}").get_json()["access_list"] == [
        {"ip": "203.0.113.7", "comment": "Office <main>"}]

    for ip, message in (("203.0.113.7", "already in the list"), ("not-an-ip", "not an IP"),
                        ("", "not an IP")):
        response = post_form(browser, "/api-settings/access-list", {"ip": ip, "comment": ""})
        assert response.status_code == 400 and message in html(response)

    response = post_form(browser, "/api-settings/access-list/remove", {"ip": "203.0.113.7"},
                         page="/api-settings/access-list")
    assert response.status_code == 302
    assert browser.get(f"/_mock/accounts/{USER}").get_json()["access_list"] == []
    assert "No addresses yet" in html(browser.get("/api-settings/access-list"))


def test_autoauth_adds_the_app_to_the_access_list(browser: FlaskClient) -> None:
    page = html(browser.get("/api-settings"))
    key = re.search(r'id="autoauth-key"[^>]* value="([^"]+)"', page).group(1)
    assert "<Status>OK</Status>" in soap_auto_auth(browser, PASSWORD, key)
    page = html(browser.get("/api-settings/access-list"))
    assert re.search(r"127\.0\.0\.1</td>\s*<td>Dext</td>", page)


# Purchases and Sales -----------------------------------------------------


def demo_ids(client: FlaskClient) -> dict[str, Any]:
    data = client.get(f"/_mock/accounts/{USER}").get_json()
    return {"nominal": {n["Code"]: n["id"] for n in data["nominal_codes"]},
            "supplier": {s["Code"]: s["SupplierID"] for s in data["suppliers"]},
            "customer": {c["Code"]: c["CustomerID"] for c in data["customers"]},
            "bank": data["bank_accounts"][0]["AccountID"]}


def line(description: str, quantity: str, rate: str, nominal: int, vat_rate_: str,
         vat: str) -> dict[str, Any]:
    return {"_type": "InvoiceLine", "Quantity": quantity, "Description": description,
            "Rate": rate, "ChargeType": nominal, "VatRate": vat_rate_, "VatAmount": vat}


def add_document(client: FlaskClient, collection: str, record: dict[str, Any]) -> None:
    response = client.post(f"/_mock/accounts/{USER}/{collection}", json=record)
    assert response.status_code == 201, response.get_json()


@pytest.fixture
def purchases(app: Flask, browser: FlaskClient) -> dict[str, Any]:
    ids = demo_ids(browser)
    add_document(browser, "receipts", {
        "InvoiceNumber": 1, "InvoiceDBID": 900001, "InvoiceDate": "2025-03-04T00:00:00",
        "DueDate": "2025-04-03T00:00:00", "Customer": "BT01",
        "CustomerID": ids["supplier"]["BT01"], "CustomerName": "BT Business",
        "CustomerReference": "BT-778", "NetAmount": "1100.00", "VATAmount": "200.00",
        "Lines": [line("Broadband <fibre>", "2", "500.00", ids["nominal"][7502], "20",
                       "200.00"),
                  line("Stamps", "1", "100.00", ids["nominal"][7501], "-1", "0")]})
    add_document(browser, "receipts", {
        "InvoiceNumber": 2, "InvoiceDBID": 900002, "InvoiceDate": "2025-03-20T00:00:00",
        "Customer": "OFF01", "CustomerID": ids["supplier"]["OFF01"],
        "CustomerName": "Office Supplies Direct", "CustomerReference": "CR-5",
        "NetAmount": "-10.00", "VATAmount": "-2.00",
        "Lines": [line("Returned toner", "1", "-10.00", ids["nominal"][7504], "20", "-2.00")]})
    backend = app.config["BACKEND"]
    with backend.lock:
        account = stored(app)
        documents.insert_payment(account, RECEIPT, {
            "PayInvoice": 1, "PayDate": dt.datetime(2025, 3, 10),
            "PayNote": "Part payment", "PayMethod": 3, "PayAccount": ids["bank"],
            "PayAmount": Decimal("300.00")}, backend.next_dbid)
        attachment_id = documents.attach_file(
            account, RECEIPT, 1, base64.b64encode(PDF).decode(), "application/pdf", "bt-bill.pdf",
            "pdf", str(len(PDF)), backend.next_dbid)
    return {"attachment_id": attachment_id}


def test_purchases_list(browser: FlaskClient, purchases: dict[str, Any]) -> None:
    page = html(browser.get("/purchases"))
    assert "<h1>Purchases</h1>" in page
    for heading in ("Number", "Date", "Supplier", "Reference", "Net", "VAT", "Total",
                    "Status"):
        assert f">{heading}</th>" in page
    assert page.index('href="/purchases/2"') < page.index('href="/purchases/1"')  # newest first
    assert "04/03/2025" in page and "BT Business" in page and "BT-778" in page
    assert "£1,100.00" in page and "£200.00" in page and "£1,300.00" in page
    assert "Part paid" in page
    assert "Credit note" in page and "-£12.00" in page and "-£2.00" in page
    home = html(browser.get("/"))
    assert "£988.00 owed to suppliers" in home and "£0.00 owed by customers" in home


def test_purchase_invoice_with_lines_vat_payment_and_file(
        browser: FlaskClient, purchases: dict[str, Any]) -> None:
    page = html(browser.get("/purchases/1"))
    assert re.search(r"<h1>Purchase invoice 1\b", page)
    assert "Broadband &lt;fibre&gt;" in page and "<fibre>" not in page
    assert "7502 Telephone" in page and "7501 Postage" in page
    assert "20%" in page and ">N/A<" in page
    assert "£500.00" in page and "£1,000.00" in page and "£1,200.00" in page
    assert "03/04/2025" in page  # due date
    assert "BACS" in page and "Current Account (1200)" in page and "Part payment" in page
    assert "£300.00" in page and "10/03/2025" in page
    assert totals(page) == {"Net": "£1,100.00", "VAT": "£200.00", "Total": "£1,300.00",
                            "Paid": "£300.00", "Outstanding": "£1,000.00"}
    assert "<h2>Files</h2>" in page and "bt-bill.pdf" in page and "application/pdf" in page

    link = f"/purchases/1/files/{purchases['attachment_id']}"
    assert f'href="{link}"' in page
    download = browser.get(link)
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert "bt-bill.pdf" in download.headers["Content-Disposition"]


def test_purchase_credit_note(browser: FlaskClient, purchases: dict[str, Any]) -> None:
    page = html(browser.get("/purchases/2"))
    assert re.search(r"<h1>Purchase credit note 2\b", page)
    assert "Credit note" in page and "-£12.00" in page and "Returned toner" in page
    assert "No payments recorded." in page and "No files attached." in page
    assert totals(page) == {"Net": "-£10.00", "VAT": "-£2.00", "Total": "-£12.00",
                            "Applied": "£0.00", "Left to apply": "-£12.00"}


def test_unknown_numbers_and_files_are_404(browser: FlaskClient,
                                           purchases: dict[str, Any]) -> None:
    for path in ("/purchases/99", "/sales/1", "/purchases/2/files/"
                 f"{purchases['attachment_id']}", "/purchases/1/files/1"):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "<h1>Page not found</h1>" in html(response)


def test_permalinks_lead_to_the_pages(browser: FlaskClient) -> None:
    assert browser.get("/receipts/4").headers["Location"] == "/purchases/4"
    assert browser.get("/invoices/7").headers["Location"] == "/sales/7"


def test_sales_invoice_with_payment_and_credit_note(app: Flask, browser: FlaskClient) -> None:
    ids = demo_ids(browser)
    customer = {"Customer": "ACME01", "CustomerID": ids["customer"]["ACME01"],
                "CustomerName": "Acme Trading Ltd"}
    add_document(browser, "invoices", {
        **customer, "InvoiceNumber": 5, "InvoiceDBID": 800005,
        "InvoiceDate": "2025-05-01T00:00:00", "DueDate": "2025-05-31T00:00:00",
        "CustomerReference": "PO-42", "NetAmount": "2000.00", "VATAmount": "400.00",
        "Lines": [line("Consulting", "4", "500.00", ids["nominal"][4001], "20", "400.00")]})
    add_document(browser, "invoices", {
        **customer, "InvoiceNumber": 6, "InvoiceDBID": 800006,
        "InvoiceDate": "2025-05-02T00:00:00", "NetAmount": "-100.00", "VATAmount": "-20.00",
        "Lines": [line("Goodwill", "1", "-100.00", ids["nominal"][4009], "20", "-20.00")]})
    backend = app.config["BACKEND"]
    with backend.lock:
        account = stored(app)
        documents.apply_credit_note(account, 800005, 800006)
        documents.insert_payment(account, INVOICE, {
            "PayInvoice": 5, "PayDate": dt.datetime(2025, 5, 20),
            "PayNote": None, "PayMethod": 4, "PayAccount": ids["bank"],
            "PayAmount": Decimal("2280.00")}, backend.next_dbid)

    page = html(browser.get("/sales"))
    assert "<h1>Sales</h1>" in page and "Acme Trading Ltd" in page and "PO-42" in page
    assert "£2,400.00" in page and ">Paid<" in page and "Applied" in page

    page = html(browser.get("/sales/5"))
    assert re.search(r"<h1>Sales invoice 5\b", page)
    assert "Consulting" in page and "4001 Sales - Services" in page and "20%" in page
    assert "Credit/Debit Card" in page and "£2,280.00" in page
    assert "Credit notes applied" in page and 'href="/sales/6">Credit note 6</a>' in page
    assert "£120.00" in page and "No files attached." in page

    page = html(browser.get("/sales/6"))
    assert re.search(r"<h1>Sales credit note 6\b", page)
    assert 'href="/sales/5">Sales invoice 5</a>' in page
    # Applying counts the credit note's AmountPaid up as a positive number.
    assert totals(page) == {"Net": "-£100.00", "VAT": "-£20.00", "Total": "-£120.00",
                            "Applied": "-£120.00", "Left to apply": "£0.00"}


def test_empty_lists(app: Flask) -> None:
    client = app.test_client()
    client.post("/_mock/accounts", json={"username": "new", "password": "pw", "seed": "empty"})
    log_in(client, "new", "pw")
    assert "Nothing here yet" in html(client.get("/purchases"))
    assert "Nothing here yet" in html(client.get("/sales"))
    assert "<h1>new</h1>" in html(client.get("/"))


def test_account_removed_while_logged_in(browser: FlaskClient) -> None:
    browser.post("/_mock/reset")
    assert browser.get("/api-settings").status_code == 302


def test_money_and_vat_rate_formats() -> None:
    assert money(Decimal("1234.56")) == "£1,234.56"
    assert money(Decimal("-12")) == "-£12.00"
    assert money(Decimal("0")) == "£0.00"
    assert money(Decimal("1000000.005")) == "£1,000,000.01"
    assert money(Decimal("5"), "EUR") == "€5.00"
    assert money(Decimal("5"), "CHF") == "CHF 5.00"
    assert vat_rate(Decimal("-1")) == "N/A" and vat_rate(Decimal("20.00")) == "20%"
    assert vat_rate(Decimal("17.5")) == "17.5%"


def test_a_foreign_currency_document_shows_both_amounts(browser: FlaskClient) -> None:
    ids = demo_ids(browser)
    add_document(browser, "invoices", {
        "Customer": "ACME01", "CustomerID": ids["customer"]["ACME01"],
        "CustomerName": "Acme Trading Ltd", "InvoiceNumber": 7, "InvoiceDBID": 800007,
        "InvoiceDate": "2025-06-01T00:00:00", "CurrencyCode": "EUR", "ExchangeRate": "1.17",
        "NetAmount": "117.00", "VATAmount": "23.40",
        "Lines": [line("Export", "1", "117.00", ids["nominal"][4000], "20", "23.40")]})

    page = html(browser.get("/sales"))
    assert "€140.40" in page and "£120.00" in page

    page = html(browser.get("/sales/7"))
    assert "EUR at 1.17 to the GBP" in page
    assert "€117.00" in page and "Net in GBP" in page and "£100.00" in page
    assert "Total in GBP" in page and "£120.00" in page


def test_the_rest_api_and_the_memorable_word_are_set_on_the_page(browser: FlaskClient) -> None:
    form = {"soap_api_enabled": "1", "autoauth_enabled": "1", "restrict_ips": "1",
            "password_mode": "login"}
    assert settings(browser)["rest_api_enabled"] is True
    refused = post_form(browser, "/api-settings", {**form, "rest_api_enabled": "1",
                                                   "memorable_word": "ab"})
    assert refused.status_code == 400
    assert "at least 3 characters" in html(refused)
    post_form(browser, "/api-settings", {**form, "memorable_word": "Pineapple"})
    assert settings(browser)["rest_api_enabled"] is False
    assert settings(browser)["memorable_word"] == "Pineapple"
    page = html(browser.get("/api-settings"))
    assert 'id="rest_api_enabled" name="rest_api_enabled" value="1">' in page
    assert "Pineapple" not in page  # as a password, never shown
    # Left blank, it is kept.
    post_form(browser, "/api-settings", {**form, "rest_api_enabled": "1", "memorable_word": ""})
    assert settings(browser)["memorable_word"] == "Pineapple"
    assert settings(browser)["rest_api_enabled"] is True
