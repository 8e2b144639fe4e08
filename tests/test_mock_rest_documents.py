"""Purchases and invoices over the mock's REST API: the same documents the SOAP API keeps,
with lines and payments in one call, and KashFlow's rules refusing bad ones whole."""

from decimal import Decimal as D

import requests
from rawrest import log_in
from rawsoap import document, line, new_account

PURCHASE = {
    "SupplierCode": "BT01", "IssuedDate": "2026-11-02 00:00:00",
    "SupplierReference": "BT-REST-1",
    "LineItems": [
        {"Description": "Broadband", "Quantity": 1, "Rate": 40.00, "VATLevel": 20,
         "VATAmount": 8.00, "NominalCode": 7502},
        {"Description": "Postage", "Quantity": 2, "Rate": 1.25, "VATExempt": True,
         "VATAmount": 0, "NominalCode": 7501},
    ],
}


def test_a_purchase_posted_over_rest_is_the_receipt_soap_reads(mock_server):
    account = new_account(mock_server.url)
    rest = log_in(account)
    state = account.state()
    current = next(b["AccountID"] for b in state["bank_accounts"] if b["AccountCode"] == 1200)
    bacs = next(m["MethodID"] for m in state["payment_methods"]["receipt"]
                if m["MethodName"] == "BACS")
    made = rest.call("POST", "/purchases", {**PURCHASE, "PaymentLines": [
        {"Date": "2026-11-03 00:00:00", "Amount": 50.50, "Method": bacs,
         "AccountId": current, "Note": "Paid by BACS"}]})
    assert made.status_code == 201, made.text
    purchase = made.json()
    assert (purchase["NetAmount"], purchase["VATAmount"], purchase["GrossAmount"]) == (
        42.5, 8, 50.5)
    assert purchase["Status"] == "Paid" and purchase["SupplierCode"] == "BT01"
    assert [(ln["NominalCode"], ln["VATExempt"]) for ln in purchase["LineItems"]] == [
        (7502, False), (7501, True)]

    # The SOAP side reads the same receipt, its nominal ids and exempt line in its words.
    receipt = account.call("GetReceipt", f"<ReceiptNumber>{purchase['Number']}</ReceiptNumber>")
    assert receipt.ok, receipt.text
    [soap_receipt] = account.state()["receipts"]
    assert soap_receipt["CustomerReference"] == "BT-REST-1"
    assert [ln["VatRate"] for ln in soap_receipt["Lines"]] == ["20", "-1"]
    assert soap_receipt["Lines"][0]["ChargeType"] == purchase["LineItems"][0]["NominalId"]
    assert (soap_receipt["AmountPaid"], soap_receipt["Paid"]) == ("50.50", 1)
    [payment] = account.state()["payments"]
    assert (payment["PayAmount"], payment["PayInvoice"]) == ("50.50", purchase["Number"])

    assert rest.get(f"/purchases/{purchase['Number']}") == purchase


def test_a_sale_inserted_over_soap_is_read_over_rest(mock_server):
    account = new_account(mock_server.url)
    state = account.state()
    customer = next(c["CustomerID"] for c in state["customers"] if c["Code"] == "ACME01")
    sales = next(n["id"] for n in state["nominal_codes"] if n["Code"] == 4000)
    inserted = account.call("InsertInvoice", document(
        customer, [line("100.00", "20", "20.00", sales)], reference="PO-9"))
    assert inserted.ok, inserted.text
    rest = log_in(account)
    [row] = rest.get("/invoices", customercode="ACME01")["Data"]
    invoice = rest.get(f"/invoices/{row['Number']}")
    assert (invoice["CustomerCode"], invoice["CustomerReference"]) == ("ACME01", "PO-9")
    assert invoice["LineItems"][0]["NominalCode"] == 4000
    assert invoice["Status"] in ("Unpaid", "Overdue")
    assert rest.get("/invoices", customercode="BRIG01")["Data"] == []


def test_a_purchase_in_dollars_counts_its_pounds(mock_server):
    account = new_account(mock_server.url)
    rest = log_in(account)
    made = rest.call("POST", "/purchases", {
        "SupplierCode": "CLOUD01", "IssuedDate": "2026-11-02", "SupplierReference": "CH-1",
        "Currency": {"Code": "USD", "ExchangeRate": 1.27},
        "LineItems": [{"Description": "Hosting", "Quantity": 1, "Rate": 127.00,
                       "VATLevel": 20, "VATAmount": 25.40, "NominalCode": 7502}]})
    assert made.status_code == 201, made.text
    purchase = made.json()
    assert purchase["Currency"]["Code"] == "USD" and purchase["GrossAmount"] == 152.4
    assert purchase["HomeCurrencyGrossAmount"] == 120
    assert purchase["LineItems"][0]["HomeCurrencyRate"] == 100


def test_a_bad_purchase_is_refused_whole_in_kashflows_shape(mock_server):
    account = new_account(mock_server.url)
    rest = log_in(account)
    bad_lines = [{**PURCHASE["LineItems"][0], "NominalCode": 9999}]
    cases = [
        ({**PURCHASE, "SupplierCode": "NOPE01"}, "There is no supplier with the code NOPE01."),
        ({**PURCHASE, "LineItems": bad_lines}, "Line 1: there is no nominal code 9999."),
        ({**PURCHASE, "LineItems": []}, "LineItems must list at least one line."),
        ({**PURCHASE, "IssuedDate": "2nd November"}, "IssuedDate must be a date"),
        ({**PURCHASE, "LineItems": [{**PURCHASE["LineItems"][0], "VATLevel": 17.5}]},
         "17.5% is not one of this account's VAT rates"),
        ({**PURCHASE, "Currency": {"Code": "JPY", "ExchangeRate": 150}},
         "The currency JPY is not set up in this account"),
        ({**PURCHASE, "PaymentLines": [{"Amount": 10, "Method": 3, "AccountId": 1}]},
         "There is no bank account with the ID 1"),
    ]
    for body, said in cases:
        refused = rest.call("POST", "/purchases", body)
        assert refused.status_code == 400, (said, refused.text)
        assert said in refused.json()["Message"] and refused.json()["Error"]
    for raw in (b"{", b'"text"', b'{"SupplierCode": "BT01", "LineItems": [1]}'):
        refused = requests.post(f"{mock_server.url}/v2/purchases", data=raw, timeout=10,
                                headers={"Authorization": f"KfToken {rest.token}",
                                         "Content-Type": "application/json"})
        assert refused.status_code == 400 and set(refused.json()) == {"Error", "Message"}
    assert account.state()["receipts"] == [] and account.state()["payments"] == []


def test_a_chosen_number_is_taken_once_and_a_deleted_purchase_is_gone(mock_server):
    account = new_account(mock_server.url)
    rest = log_in(account)
    made = rest.call("POST", "/purchases", {**PURCHASE, "Number": 500})
    assert made.status_code == 201 and made.json()["Number"] == 500
    again = rest.call("POST", "/purchases", {**PURCHASE, "Number": 500})
    assert again.status_code == 400 and "500 is already used" in again.json()["Message"]
    assert rest.call("POST", "/purchases", PURCHASE).json()["Number"] == 501

    assert rest.call("DELETE", "/purchases/500").status_code == 204
    gone = rest.call("GET", "/purchases/500")
    assert gone.status_code == 404 and gone.json()["Error"] == "NotFound"
    assert rest.call("DELETE", "/purchases/500").status_code == 404
    assert [r["Number"] for r in rest.get("/purchases", suppliercode="BT01")["Data"]] == [501]
    assert D(str(rest.get("/purchases/501")["GrossAmount"])) == D("50.5")


def test_a_put_replaces_the_purchase_and_its_payments_whole_or_not_at_all(mock_server):
    account = new_account(mock_server.url)
    rest = log_in(account)
    state = account.state()
    current = next(b["AccountID"] for b in state["bank_accounts"] if b["AccountCode"] == 1200)
    bacs = next(m["MethodID"] for m in state["payment_methods"]["receipt"]
                if m["MethodName"] == "BACS")
    first = {"Date": "2026-11-03 00:00:00", "Amount": 20, "Method": bacs, "AccountId": current}
    made = rest.call("POST", "/purchases", {**PURCHASE, "PaymentLines": [first]}).json()
    number, paid = made["Number"], made["PaymentLines"][0]
    # (Unpaid or Overdue, as the date goes.)
    assert made["Status"] != "Paid" and made["DueAmount"] == 30.5

    # The rest paid: the payment read back is kept (its Id), a new one is added.
    body = {**PURCHASE, "PaymentLines": [
        paid, {**first, "Amount": 30.50, "Note": "The rest"}]}
    replaced = rest.call("PUT", f"/purchases/{number}", body)
    assert replaced.status_code == 200, replaced.text
    purchase = replaced.json()
    assert (purchase["Number"], purchase["Id"], purchase["Status"]) == (
        number, made["Id"], "Paid")
    assert [(p["Id"] == paid["Id"], p["Amount"]) for p in purchase["PaymentLines"]] == [
        (True, 20), (False, 30.5)]
    assert sum(D(p["PayAmount"]) for p in account.state()["payments"]) == D("50.50")

    # A payment left out is removed; lines changed are KashFlow's to total again.
    fewer = {**PURCHASE, "LineItems": PURCHASE["LineItems"][:1], "PaymentLines": [paid]}
    purchase = rest.call("PUT", f"/purchases/{number}", fewer).json()
    assert (purchase["GrossAmount"], purchase["DueAmount"]) == (48, 28)
    assert purchase["Status"] != "Paid"
    assert len(account.state()["payments"]) == 1

    # Refused whole: an unknown payment Id, a bad line, another number. Nothing changes.
    before = account.state()
    for bad, words in [
            ({**fewer, "PaymentLines": [{**paid, "Id": 999999}]}, "no payment with the Id"),
            ({**fewer, "LineItems": [{**PURCHASE["LineItems"][0], "NominalCode": 1}]},
             "no nominal code 1"),
            ({**fewer, "Number": number + 1}, "Number cannot change")]:
        refused = rest.call("PUT", f"/purchases/{number}", bad)
        assert refused.status_code == 400 and words in refused.json()["Message"], refused.text
    assert account.state() == before
    assert rest.call("PUT", "/purchases/999", fewer).status_code == 404


def test_notes_are_kept_on_a_purchase_by_either_name_of_its_type(mock_server):
    account = new_account(mock_server.url)
    rest = log_in(account)
    number = rest.call("POST", "/purchases", PURCHASE).json()["Number"]
    first = rest.call("POST", f"/purchases/{number}/notes", {"Text": "Checked by Ann"})
    assert first.status_code == 201, first.text
    assert (first.json()["Number"], first.json()["Text"]) == (1, "Checked by Ann")
    # KashFlow's Swagger names the type by number: 5 is Purchases.
    second = rest.call("POST", f"/5/{number}/notes", {"Text": "Paid by BACS"}).json()
    assert second["Number"] == 2
    assert [n["Text"] for n in rest.get(f"/purchases/{number}/notes")] == [
        "Checked by Ann", "Paid by BACS"]
    changed = rest.call("PUT", f"/purchases/{number}/notes/1", {"Number": 1, "Text": "Ok"})
    assert changed.status_code == 200 and changed.json()["Text"] == "Ok"
    assert rest.call("DELETE", f"/purchases/{number}/notes/2").status_code == 204
    assert [n["Text"] for n in rest.get(f"/5/{number}/notes")] == ["Ok"]

    # Refused: no text, a document or a type that does not exist; nothing changes.
    assert rest.call("POST", f"/purchases/{number}/notes", {"Text": " "}).status_code == 400
    assert rest.call("POST", "/purchases/999/notes", {"Text": "x"}).status_code == 404
    assert rest.call("GET", f"/quotes/{number}/notes").status_code == 404
    assert rest.call("GET", f"/purchases/{number}/notes/7").status_code == 404
    assert len(account.state()["notes"]) == 1
    # A purchase deleted takes its notes with it.
    assert rest.call("DELETE", f"/purchases/{number}").status_code == 204
    assert account.state()["notes"] == []
