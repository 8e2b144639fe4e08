"""The mock's currencies: an account's list, documents in a foreign currency with both
amounts, a partner's currency, and the refusals KashFlow gives."""

import base64

import pytest
from rawsoap import document, line, new_account


@pytest.fixture
def account(mock_server):
    return new_account(mock_server.url)


@pytest.fixture
def parties(account):
    state = account.state()
    nominals = {n["Code"]: n["id"] for n in state["nominal_codes"]}
    return {"supplier": state["suppliers"][0], "customer": state["customers"][0],
            "telephone": nominals[7502], "sales": nominals[4000]}


def set_currency(account, noun, code, currency):
    return account.call(f"Set{noun}Currency", f"<CurrencyCode>{currency}</CurrencyCode>"
                                              f"<{noun}Code>{code}</{noun}Code>")


def get_currency(account, noun, code):
    return account.call(f"Get{noun}Currency", f"<{noun}Code>{code}</{noun}Code>")


def test_a_partners_currency_is_read_and_set(account, parties):
    code = parties["supplier"]["Code"]
    assert get_currency(account, "Supplier", code).value("GetSupplierCurrencyResult") == "GBP"
    assert set_currency(account, "Supplier", code, "usd").ok
    assert get_currency(account, "Supplier", code).value("GetSupplierCurrencyResult") == "USD"
    assert set_currency(account, "Supplier", code, "JPY").status == (
        "NO", "The currency JPY is not set up in this account")
    assert set_currency(account, "Supplier", "NOSUCH", "EUR").status == (
        "NO", "There is no supplier with that code")
    customer = parties["customer"]["Code"]
    assert set_currency(account, "Customer", customer, "EUR").ok
    assert get_currency(account, "Customer", customer).value("GetCustomerCurrencyResult") == "EUR"
    assert get_currency(account, "Customer", "NOSUCH").status == (
        "NO", "There is no customer with that code")


def test_a_euro_purchase_keeps_its_amounts_and_derives_the_home_ones(account, parties):
    supplier = parties["supplier"]
    assert set_currency(account, "Supplier", supplier["Code"], "EUR").ok
    reply = account.call("InsertReceipt", document(
        supplier["SupplierID"], [line("58.50", "20", "23.40", parties["telephone"], quantity="2",
                                      values_in_currency="1")],
        currency="EUR", rate="1.17"))
    assert reply.ok, reply.status
    [receipt] = account.state()["receipts"]
    # 117.00 euros at 1.17 euros to the pound are 100.00 pounds.
    assert {k: receipt[k] for k in ("CurrencyCode", "ExchangeRate", "NetAmount", "VATAmount",
                                    "HomeNetAmount", "HomeVATAmount", "HomeGrossAmount")} == {
        "CurrencyCode": "EUR", "ExchangeRate": "1.17", "NetAmount": "117.00",
        "VATAmount": "23.40", "HomeNetAmount": "100.00", "HomeVATAmount": "20.00",
        "HomeGrossAmount": "120.00"}
    read = account.call("GetReceipt", "<ReceiptNumber>1</ReceiptNumber>")
    assert (read.value("CurrencyCode"), read.value("ExchangeRate")) == ("EUR", "1.17")


def test_lines_without_values_in_currency_are_home_amounts_converted(account, parties):
    supplier = parties["supplier"]
    set_currency(account, "Supplier", supplier["Code"], "USD")
    assert account.call("InsertReceipt", document(
        supplier["SupplierID"], [line("100.00", "20", "20.00", parties["telephone"])],
        currency="USD", rate="1.27")).ok
    [receipt] = account.state()["receipts"]
    assert (receipt["NetAmount"], receipt["VATAmount"], receipt["HomeNetAmount"]) == (
        "127.00", "25.40", "100.00")


@pytest.mark.parametrize("currency,rate,detail", [
    ("JPY", "150", "The currency JPY is not set up in this account. Add it in Settings, "
                   "Currencies"),
    ("EUR", "0", "The exchange rate of a document in EUR must be more than 0, not 0"),
    ("EUR", "-1.17", "The exchange rate must be more than 0, not -1.17"),
    ("USD", "1.27", "The supplier {code} deals in EUR, so its documents cannot be in USD"),
    ("", "1", "The supplier {code} deals in EUR, so its documents cannot be in GBP"),
])
def test_what_kashflow_refuses_changes_nothing(account, parties, currency, rate, detail):
    supplier = parties["supplier"]
    set_currency(account, "Supplier", supplier["Code"], "EUR")
    reply = account.call("InsertReceipt", document(
        supplier["SupplierID"], [line(charge_type=parties["telephone"])], currency=currency,
        rate=rate))
    assert reply.status == ("NO", detail.format(code=supplier["Code"]))
    assert account.state()["receipts"] == []


def test_a_home_currency_document_is_kept_at_rate_one(account, parties):
    reply = account.call("InsertReceipt", document(
        parties["supplier"]["SupplierID"], [line(charge_type=parties["telephone"])],
        currency="GBP", rate="0"))
    assert reply.ok
    [receipt] = account.state()["receipts"]
    assert (receipt["ExchangeRate"], receipt["HomeGrossAmount"]) == ("1", "120.00")


def test_a_credit_note_applies_only_to_an_invoice_in_its_currency(account, parties):
    customer = parties["customer"]
    sales = parties["sales"]
    account.call("InsertInvoice", document(customer["CustomerID"], [line(charge_type=sales)]))
    set_currency(account, "Customer", customer["Code"], "EUR")
    euro_credit = account.call("InsertInvoice", document(
        customer["CustomerID"], [line("-10.00", "20", "-2.00", sales, values_in_currency="1")],
        currency="EUR", rate="1.17"))
    assert euro_credit.ok
    invoice, credit = account.state()["invoices"]
    reply = account.call("applyCreditNoteToInvoice",
                         f"<InvoiceID>{invoice['InvoiceDBID']}</InvoiceID>"
                         f"<CreditNoteID>{credit['InvoiceDBID']}</CreditNoteID>")
    assert reply.status == ("NO", "The credit note is in EUR and the invoice in GBP")


def test_a_file_attached_to_a_sale_is_kept_with_it(account, parties):
    account.call("InsertInvoice", document(parties["customer"]["CustomerID"],
                                           [line(charge_type=parties["sales"])]))
    data = base64.b64encode(b"%PDF-1.4 tiny").decode()
    reply = account.call("AttachFileToInvoice",
                         f"<InvoiceNo>1</InvoiceNo><Base64String>{data}</Base64String>"
                         f"<ContentType>application/pdf</ContentType><Filename>inv.pdf</Filename>"
                         f"<FileExtension>pdf</FileExtension><FileSize>13</FileSize>")
    assert reply.ok and int(reply.value("AttachFileToInvoiceResult")) > 0
    [attachment] = account.state()["attachments"]
    assert (attachment["Filename"], attachment["InvoiceNo"]) == ("inv.pdf", 1)
    missing = account.call("AttachFileToInvoice", f"<InvoiceNo>9</InvoiceNo><Base64String>"
                                                  f"{data}</Base64String><Filename>x.pdf"
                                                  "</Filename>")
    assert missing.status == ("NO", "There is no invoice with the number 9")
    assert account.call("DeleteInvoice", "<InvoiceNumber>1</InvoiceNumber>").ok
    assert account.state()["attachments"] == []
