"""The mock with --state FILE keeps what it has answered: across a restart, after a SIGKILL in
the middle of many concurrent writes, with a journal whose last line was cut short, and with a
state file written before there were journals."""

import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from rawrest import log_in
from rawsoap import document, line, new_account

from mock_kashflow import ThreadedMockServer, create_app
from mock_kashflow.models import Backend

ROOT = Path(__file__).resolve().parents[1]


def mock_on(state_file: Path, **backend_options) -> ThreadedMockServer:
    return ThreadedMockServer(app=create_app(Backend(state_file, **backend_options)))


def ids(account) -> dict:
    state = account.state()
    nominals = {n["Code"]: n["id"] for n in state["nominal_codes"]}
    return {"supplier": state["suppliers"][0]["SupplierID"],
            "customer": state["customers"][0]["CustomerID"],
            "telephone": nominals[7502], "sales": nominals[4000],
            "bank": state["bank_accounts"][0]["AccountID"]}


def ok_value(reply, name: str) -> int:
    assert reply.ok, reply.text
    return int(reply.value(name))


def payment(tag: str, number: int, bank: int, amount: str) -> str:
    return (f"<{tag}><PayID>0</PayID><PayInvoice>{number}</PayInvoice>"
            f"<PayDate>2026-11-02T00:00:00</PayDate><PayMethod>1</PayMethod>"
            f"<PayAccount>{bank}</PayAccount><PayAmount>{amount}</PayAmount></{tag}>")


def write_everything(server: ThreadedMockServer) -> str:
    """Every kind of write the mock takes: SOAP, the control API and the web pages."""
    account = new_account(server.url)
    known = ids(account)
    receipt = [line("100.00", "20", "20.00", known["telephone"])]
    sale = [line("100.00", "20", "20.00", known["sales"])]
    kept = ok_value(account.call("InsertReceipt", document(known["supplier"], receipt)),
                    "InsertReceiptResult")
    gone = ok_value(account.call("InsertReceipt", document(known["supplier"], receipt)),
                    "InsertReceiptResult")
    for number in (kept, gone):
        assert account.call("InsertReceiptPayment", payment(
            "ReceiptPayment", number, known["bank"], "50.00")).ok
        data = base64.b64encode(b"%PDF-1.4 tiny").decode()
        assert account.call("AttachFileToReceipt", (
            f"<ReceiptNo>{number}</ReceiptNo><Base64String>{data}</Base64String>"
            "<ContentType>application/pdf</ContentType><Filename>bill.pdf</Filename>"
            "<FileExtension>pdf</FileExtension><FileSize>13</FileSize>")).ok
    assert account.call("DeleteReceipt", f"<ReceiptNumber>{gone}</ReceiptNumber>").ok
    invoice = ok_value(account.call("InsertInvoice", document(known["customer"], sale)),
                       "InsertInvoiceResult")
    account.call("InsertInvoice", document(
        known["customer"], [line("-30.00", "20", "-6.00", known["sales"])]))
    assert account.call("InsertInvoicePayment", payment(
        "InvoicePayment", invoice, known["bank"], "10.00")).ok
    invoices = account.state()["invoices"]
    assert account.call("applyCreditNoteToInvoice", (
        f"<InvoiceID>{invoices[0]['InvoiceDBID']}</InvoiceID>"
        f"<CreditNoteID>{invoices[1]['InvoiceDBID']}</CreditNoteID>")).ok
    assert account.call("InsertSupplier", "<supl><Name>New Supplies Ltd</Name></supl>").ok
    assert account.call("InsertCustomer", "<custr><Name>New Customer Ltd</Name></custr>").ok
    write_over_rest(account, known)

    base = f"{server.url}/_mock/accounts/{account.username}"
    account.settings(restrict_ips=True, access_list=[])
    assert account.call("AutoAuthIP", f"<appName>Dext</appName>"
                                      f"<AutoAuthKey>{account.autoauth_key}</AutoAuthKey>").ok
    requests.post(f"{base}/receipts", timeout=10, json={
        "InvoiceNumber": 40, "CustomerID": known["supplier"]}).raise_for_status()
    requests.delete(f"{base}/receipts/40", timeout=10).raise_for_status()
    added = requests.post(f"{base}/projects", timeout=10, json=[
        {"Name": "Kept project"}, {"Name": "Renumbered project"}])
    kept_project, renumbered = added.json()["ids"]
    requests.patch(f"{base}/projects/{renumbered}", timeout=10, json={
        "ID": renumbered + 1000, "Name": "Renumbered"}).raise_for_status()
    requests.patch(f"{base}/projects/{kept_project}", timeout=10,
                   json={"Description": "Changed"}).raise_for_status()
    requests.delete(f"{base}/suppliers/{known['supplier']}", timeout=10).raise_for_status()

    pages = server.app.test_client()
    page = pages.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    pages.post("/login", data={"username": account.username, "password": account.password,
                               "csrf_token": token})
    page = pages.get("/api-settings/access-list").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    added_ip = pages.post("/api-settings/access-list", data={
        "ip": "203.0.113.7", "comment": "Office", "csrf_token": token})
    assert added_ip.status_code == 302
    account.settings(password="a-new-secret")
    return account.username


def write_over_rest(account, known: dict) -> None:
    """What only REST writes: a document put back whole, a note, a file sent as a form."""
    rest = log_in(account)
    code = next(s["Code"] for s in account.state()["suppliers"]
                if s["SupplierID"] == known["supplier"])
    purchase = {"SupplierCode": code, "IssuedDate": "2026-11-02 00:00:00", "LineItems": [
        {"Description": "Calls", "Quantity": 1, "Rate": 10, "VATLevel": 20, "VATAmount": 2,
         "NominalCode": 7502}]}
    number = rest.call("POST", "/purchases", purchase).json()["Number"]
    paid = {"Date": "2026-11-03 00:00:00", "Amount": 12, "Method": 1,
            "AccountId": known["bank"]}
    assert rest.call("PUT", f"/purchases/{number}",
                     {**purchase, "PaymentLines": [paid]}).status_code == 200
    assert rest.call("POST", f"/purchases/{number}/notes", {"Text": "Kept"}).status_code == 201
    sent = requests.post(f"{account.base_url}/v2/purchases/{number}/files", timeout=10,
                         headers={"Authorization": f"KfToken {rest.token}"},
                         files={"file": ("scan.pdf", b"%PDF-1.4 scan", "application/pdf")})
    assert sent.status_code == 201, sent.text


@pytest.mark.parametrize("fold_bytes", [None, 1], ids=["journal", "snapshot-each-write"])
def test_every_kind_of_write_is_there_after_a_restart(tmp_path, fold_bytes):
    state_file = tmp_path / "state.json"
    with mock_on(state_file, fold_bytes=fold_bytes) as server:
        username = write_everything(server)
        before = requests.get(f"{server.url}/_mock/accounts/{username}", timeout=10).json()
    with mock_on(state_file) as server:
        after = requests.get(f"{server.url}/_mock/accounts/{username}", timeout=10).json()
    assert after == before
    # Receipt 2 deleted over SOAP; 3 made over REST (a number is never given twice).
    assert [r["InvoiceNumber"] for r in after["receipts"]] == [1, 3]
    assert len(after["payments"]) == 3 and len(after["attachments"]) == 2
    assert [n["Text"] for n in after["notes"]] == ["Kept"]
    assert after["access_list"][-1] == {"ip": "203.0.113.7", "comment": "Office"}


def test_a_last_journal_line_cut_short_is_ignored(tmp_path):
    state_file = tmp_path / "state.json"
    with mock_on(state_file) as server:
        account = new_account(server.url)
        known = ids(account)
        body = document(known["supplier"], [line("1.00", "0", "0", known["telephone"])])
        first = ok_value(account.call("InsertReceipt", body), "InsertReceiptResult")
    [journal] = tmp_path.glob("state.json.journal.*")
    whole_line = journal.read_bytes().splitlines(keepends=True)[-1]
    with open(journal, "ab") as file:  # as a SIGKILL in the middle of a write leaves it
        file.write(whole_line[: len(whole_line) // 2])

    with mock_on(state_file) as server:
        account.base_url = server.url
        assert [r["InvoiceNumber"] for r in account.state()["receipts"]] == [first]
        second = ok_value(account.call("InsertReceipt", body), "InsertReceiptResult")
    with mock_on(state_file) as server:
        account.base_url = server.url
        assert [r["InvoiceNumber"] for r in account.state()["receipts"]] == [first, second]


def test_a_state_file_from_before_the_journal_is_read(tmp_path):
    """The earlier format: one JSON file, no journal, no last_numbers."""
    with ThreadedMockServer() as server:
        account = new_account(server.url)
        known = ids(account)
        for _ in range(3):
            account.call("InsertReceipt", document(known["supplier"], [line()]))
        old = account.state()
        del old["last_numbers"]
        next_dbid = server.backend.next_dbid()
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"next_dbid": next_dbid, "accounts": [old]}))
    with mock_on(state_file) as server:
        account.base_url = server.url
        assert len(account.state()["receipts"]) == 3
        reply = account.call("InsertReceipt", document(known["supplier"], [line()]))
        assert ok_value(reply, "InsertReceiptResult") == 4


def test_a_reset_is_kept(tmp_path):
    state_file = tmp_path / "state.json"
    with mock_on(state_file) as server:
        before = new_account(server.url).username
        requests.post(f"{server.url}/_mock/reset", timeout=10).raise_for_status()
        after = new_account(server.url).username
    with mock_on(state_file) as server:
        assert set(server.backend.accounts) == {after}, before


def test_removing_the_state_file_starts_again(tmp_path):
    """scripts/run --reset removes FILE only: journals left beside it are not read."""
    state_file = tmp_path / "state.json"
    with mock_on(state_file) as server:
        username = new_account(server.url).username
    assert list(tmp_path.glob("state.json.journal.*"))
    state_file.unlink()
    with mock_on(state_file) as server:
        assert username not in server.backend.accounts


# A real process, killed -------------------------------------------------


def start_mock(state_file: Path, *options: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_kashflow", "--port", "0", "--state", str(state_file),
         *options], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = process.stdout.readline()
    match = re.search(r"on (http://\S+)", first)
    assert match, f"the mock did not start: {first}{process.stdout.read()}"
    return process, match.group(1)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    process.stdout.close()


@pytest.mark.parametrize("options", [(), ("--snapshot-every", "20000"), ("--fsync",)],
                         ids=["journal", "with-snapshots", "fsync"])
def test_nothing_answered_is_lost_when_the_mock_is_killed(tmp_path, options):
    state_file = tmp_path / "state.json"
    process, url = start_mock(state_file, *options)
    try:
        account = new_account(url)
        known = ids(account)
        answered: list[tuple[int, str]] = []  # (number, reference), as the clients were told
        enough = threading.Event()

        def insert_until_killed(worker: int) -> None:
            for n in range(1000):
                reference = f"W{worker}-{n}"
                body = document(known["supplier"], [
                    line("10.00", "20", "2.00", known["telephone"], description=reference),
                    line("5.00", "0", "0", known["telephone"], description="Second")],
                    reference=reference)
                try:
                    reply = account.call("InsertReceipt", body)
                except requests.RequestException:
                    return  # killed: no whole answer, so nothing was promised
                answered.append((ok_value(reply, "InsertReceiptResult"), reference))
                if len(answered) >= 200:
                    enough.set()

        with ThreadPoolExecutor(16) as pool:
            running = [pool.submit(insert_until_killed, worker) for worker in range(16)]
            assert enough.wait(120), "the mock answered too few inserts"
            os.kill(process.pid, signal.SIGKILL)  # while the 16 clients are still sending
            for future in running:
                future.result()
    finally:
        stop(process)
    numbers = [number for number, _ in answered]
    assert len(set(numbers)) == len(numbers), "a number was given to two receipts"
    generations = [int(p.suffix[1:]) for p in tmp_path.glob("state.json.journal.*")]
    if "--snapshot-every" in options:
        assert max(generations) > 1, "no snapshot was made while the clients were writing"

    process, url = start_mock(state_file, *options)
    try:
        account.base_url = url
        stored = {r["InvoiceNumber"]: r for r in account.state()["receipts"]}
        for number, reference in answered:
            receipt = stored.get(number)
            assert receipt is not None, f"receipt {number} was answered, then lost"
            assert receipt["CustomerReference"] == reference
            assert [ln["Description"] for ln in receipt["Lines"]] == [reference, "Second"]

        def insert_after_restart(n: int) -> int:
            return ok_value(account.call("InsertReceipt", document(
                known["supplier"], [line()], reference=f"After-{n}")), "InsertReceiptResult")

        with ThreadPoolExecutor(8) as pool:
            after = list(pool.map(insert_after_restart, range(16)))
        # Not one number given before the kill, answered or not, is given again.
        assert len(set(after)) == len(after) and min(after) > max(stored)
    finally:
        stop(process)
