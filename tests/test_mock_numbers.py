"""KashFlow never issues a number twice: a number the ERP keeps names one document for good,
even after the newest document is deleted, through the API or the control API, and across a
restart of the mock with --state."""

import pytest
import requests
from rawsoap import document, line, new_account

from mock_kashflow import ThreadedMockServer, create_app

SIDES = [("InsertReceipt", "DeleteReceipt", "receipts", "suppliers", "SupplierID", "ReceiptNumber"),
         ("InsertInvoice", "DeleteInvoice", "invoices", "customers", "CustomerID",
          "InvoiceNumber")]


def insert(account, operation: str, party_id: int) -> int:
    reply = account.call(operation, document(party_id, [line()]))
    assert reply.ok, reply.status
    return int(reply.value(f"{operation}Result"))


@pytest.mark.parametrize("insert_op,delete_op,collection,parties,party_key,number_field", SIDES)
def test_the_newest_number_is_not_issued_again_after_a_delete(
        mock_server, insert_op, delete_op, collection, parties, party_key, number_field):
    account = new_account(mock_server.url)
    party_id = account.state()[parties][0][party_key]
    first, second = insert(account, insert_op, party_id), insert(account, insert_op, party_id)
    assert account.call(delete_op, f"<{number_field}>{second}</{number_field}>").ok
    third = insert(account, insert_op, party_id)
    base = f"{mock_server.url}/_mock/accounts/{account.username}/{collection}"
    requests.delete(f"{base}/{third}", timeout=10).raise_for_status()
    fourth = insert(account, insert_op, party_id)
    assert [first, second, third, fourth] == [1, 2, 3, 4]
    assert [d["InvoiceNumber"] for d in account.state()[collection]] == [1, 4]


def test_a_number_given_through_the_control_api_is_not_issued_again(mock_server):
    account = new_account(mock_server.url)
    supplier = account.state()["suppliers"][0]["SupplierID"]
    base = f"{mock_server.url}/_mock/accounts/{account.username}/receipts"
    requests.post(base, json={"InvoiceNumber": 7, "CustomerID": supplier},
                  timeout=10).raise_for_status()
    requests.delete(f"{base}/7", timeout=10).raise_for_status()
    assert insert(account, "InsertReceipt", supplier) == 8
    taken = requests.post(base, json={"InvoiceNumber": 8, "CustomerID": supplier}, timeout=10)
    assert taken.status_code == 409 and "8" in taken.json()["error"]


def test_payment_ids_are_not_issued_again(mock_server):
    account = new_account(mock_server.url)
    state = account.state()
    number = insert(account, "InsertReceipt", state["suppliers"][0]["SupplierID"])
    payment = (f"<ReceiptPayment><PayID>0</PayID><PayInvoice>{number}</PayInvoice>"
               f"<PayDate>2026-11-02T00:00:00</PayDate><PayMethod>1</PayMethod>"
               f"<PayAccount>{state['bank_accounts'][0]['AccountID']}</PayAccount>"
               f"<PayAmount>10.00</PayAmount></ReceiptPayment>")
    first = int(account.call("InsertReceiptPayment", payment).value("InsertReceiptPaymentResult"))
    requests.delete(f"{mock_server.url}/_mock/accounts/{account.username}/payments/{first}",
                    timeout=10).raise_for_status()
    second = int(account.call("InsertReceiptPayment", payment).value(
        "InsertReceiptPaymentResult"))
    assert second > first


def test_an_id_given_through_the_control_api_is_not_issued_again(mock_server):
    account = new_account(mock_server.url)
    base = f"{mock_server.url}/_mock/accounts/{account.username}/suppliers"
    taken = max(s["SupplierID"] for s in account.state()["suppliers"]) + 1_000_000
    requests.post(base, json={"SupplierID": taken, "Name": "Given"}, timeout=10
                  ).raise_for_status()
    reply = account.call("InsertSupplier", "<supl><Name>New Ltd</Name></supl>")
    assert int(reply.value("InsertSupplierResult")) > taken


def test_numbers_keep_increasing_across_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with ThreadedMockServer(app=create_app(state_file=state_file)) as server:
        account = new_account(server.url)
        supplier = account.state()["suppliers"][0]["SupplierID"]
        insert(account, "InsertReceipt", supplier)
        newest = insert(account, "InsertReceipt", supplier)
        assert account.call("DeleteReceipt", f"<ReceiptNumber>{newest}</ReceiptNumber>").ok
    with ThreadedMockServer(app=create_app(state_file=state_file)) as server:
        account.base_url = server.url
        assert insert(account, "InsertReceipt", supplier) == newest + 1
