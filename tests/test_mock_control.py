"""The control API tests drive the mock with, and --state across restarts."""

import os
import re
import socket
import subprocess
import sys
import time

import pytest
import requests
from rawrest import finish, letters
from rawsoap import call, document, line, new_account

from mock_kashflow import ThreadedMockServer, create_app


def test_account_state_has_every_collection(mock_server):
    account = new_account(mock_server.url)
    state = account.state()
    for key in ("settings", "access_list", "nominal_codes", "vat_rates", "suppliers",
                "customers", "bank_accounts", "projects", "payment_methods", "receipts",
                "invoices", "payments", "attachments"):
        assert key in state, key
    assert state["settings"]["autoauth_key"] == account.autoauth_key


def test_empty_seed_has_only_the_basics(mock_server):
    state = new_account(mock_server.url, seed="empty").state()
    assert state["suppliers"] == [] and state["nominal_codes"] == []
    assert [r["Value"] for r in state["vat_rates"]] == ["20", "5", "0"]


def test_bad_control_requests(mock_server):
    base = mock_server.url
    assert requests.post(f"{base}/_mock/accounts", json={"username": "x"}).status_code == 400
    account = new_account(base)
    again = requests.post(f"{base}/_mock/accounts", json={
        "username": account.username, "password": "p", "seed": "demo"})
    assert again.status_code == 409
    assert requests.get(f"{base}/_mock/accounts/nobody").status_code == 404
    patch = requests.patch(f"{base}/_mock/accounts/{account.username}/settings",
                           json={"colour": "red"})
    assert patch.status_code == 400 and "colour" in patch.json()["error"]
    fault = requests.post(f"{base}/_mock/faults", json={"operation": "X", "kind": "meteor"})
    assert fault.status_code == 400


def test_records_added_changed_and_deleted(mock_server):
    account = new_account(mock_server.url, seed="empty")
    base = f"{mock_server.url}/_mock/accounts/{account.username}"
    added = requests.post(f"{base}/suppliers", json=[
        {"Code": f"S{i:05d}", "Name": f"Supplier {i}"} for i in range(3)]).json()["ids"]
    assert len(added) == 3
    requests.patch(f"{base}/suppliers/{added[0]}", json={"Name": "Renamed"}).raise_for_status()
    requests.delete(f"{base}/suppliers/{added[1]}").raise_for_status()
    reply = account.call("GetSuppliers")
    names = [n.findtext("{KashFlow}Name") for n in reply.find("GetSuppliersResult")]
    assert names == ["Renamed", "Supplier 2"]


def test_faults_are_counted_and_cleared(mock_server):
    account = new_account(mock_server.url)
    faults = f"{mock_server.url}/_mock/faults"
    requests.post(faults, json={"operation": "GetVATRates", "kind": "http_500", "times": 2})
    assert account.call("GetVATRates").http_status == 500
    assert account.call("GetVATRates").http_status == 500
    assert account.call("GetVATRates").ok
    requests.post(faults, json={"operation": "*", "kind": "rate_limit", "times": 5})
    assert requests.get(faults).json()[0]["times"] == 5
    reply = account.call("GetVATRates")
    assert reply.http_status == 429
    requests.delete(faults)
    assert account.call("GetVATRates").ok


def test_a_fault_with_a_chance_hits_that_share_of_calls_and_calls_are_counted(mock_server):
    account = new_account(mock_server.url)
    base = f"{mock_server.url}/_mock"
    requests.delete(f"{base}/calls").raise_for_status()
    # A call spared by the first fault may meet the next one.
    requests.post(f"{base}/faults", json={"operation": "GetVATRates", "kind": "http_500",
                                          "times": 10**6, "chance": 0.3})
    requests.post(f"{base}/faults", json={"operation": "*", "kind": "rate_limit",
                                          "times": 10**6, "chance": 0.5})
    try:
        statuses = [account.call("GetVATRates").http_status for _ in range(200)]
        faults = requests.get(f"{base}/faults").json()
    finally:
        requests.delete(f"{base}/faults")
    # 60 and 70 expected; the bounds are more than four standard deviations away.
    assert 30 <= statuses.count(500) <= 90, statuses.count(500)
    assert 40 <= statuses.count(429) <= 100, statuses.count(429)
    assert statuses.count(200) == 200 - statuses.count(500) - statuses.count(429)
    assert [f["chance"] for f in faults] == [0.3, 0.5]
    assert requests.get(f"{base}/calls").json() == {"GetVATRates": 200}
    requests.delete(f"{base}/calls")
    assert requests.get(f"{base}/calls").json() == {}


def test_error_before_writes_nothing_and_drop_after_write_writes_once(mock_server):
    account = new_account(mock_server.url)
    state = account.state()
    body = document(state["suppliers"][0]["SupplierID"], [line()])
    faults = f"{mock_server.url}/_mock/faults"
    requests.post(faults, json={"operation": "InsertReceipt", "kind": "error_before"})
    reply = account.call("InsertReceipt", body)
    assert reply.http_status == 500 and "unable to process request" in reply.fault
    assert account.state()["receipts"] == []
    requests.post(faults, json={"operation": "InsertReceipt", "kind": "drop_after_write"})
    with pytest.raises(requests.ConnectionError):
        account.call("InsertReceipt", body)
    assert len(account.state()["receipts"]) == 1


def test_delay_holds_the_answer(mock_server):
    account = new_account(mock_server.url)
    requests.post(f"{mock_server.url}/_mock/faults",
                  json={"operation": "GetVATRates", "kind": "delay", "delay_ms": 300})
    started = time.monotonic()
    assert account.call("GetVATRates").ok
    assert time.monotonic() - started >= 0.3


def test_reset_forgets_everything():
    with ThreadedMockServer() as server:
        account = new_account(server.url)
        requests.post(f"{server.url}/_mock/reset").raise_for_status()
        assert account.call("GetVATRates").status == ("NO", "Incorrect username or password")


def test_state_file_survives_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with ThreadedMockServer(app=create_app(state_file=state_file)) as server:
        account = new_account(server.url)
        supplier = account.state()["suppliers"][0]["SupplierID"]
        assert account.call("InsertReceipt", document(supplier, [line("12.34", "5", "0.62")])).ok
        before = account.state()
    with ThreadedMockServer(app=create_app(state_file=state_file)) as server:
        reply = call(f"{server.url}/api/service.asmx", "GetReceipt", account.username,
                     account.password, "<ReceiptNumber>1</ReceiptNumber>")
        assert reply.value("NetAmount") == "12.34"
        assert requests.get(f"{server.url}/_mock/accounts/{account.username}").json() == before


def test_command_line_server_prints_working_credentials(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_kashflow", "--port", str(port), "--state",
         str(tmp_path / "s.json")], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = []
        while not lines or not lines[-1].startswith("Press Ctrl-C") and len(lines) < 20:
            lines.append(process.stdout.readline())
        text = "".join(lines)
        username = re.search(r"Username\s+(\S+)", text).group(1)
        password = re.search(r"Password\s+(\S+)", text).group(1)
        key = re.search(r"AutoAuth key\s+(\S+)", text).group(1)
        url = f"http://127.0.0.1:{port}/api/service.asmx"
        for _ in range(50):
            try:
                reply = call(url, "AutoAuthIP", username, password,
                             f"<appName>cli test</appName><AutoAuthKey>{key}</AutoAuthKey>")
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert reply.ok
        assert call(url, "GetSuppliers", username, password).ok
        # The REST API at the address printed, with the memorable word printed.
        rest_url = re.search(r"REST API\s+(\S+)", text).group(1)
        word = re.search(r"Memorable word\s+(\S+)", text).group(1)
        started = requests.post(f"{rest_url}/sessiontoken", timeout=10,
                                json={"UserName": username, "Password": password})
        assert started.status_code == 201, started.text
        finished = finish(rest_url.removesuffix("/v2"), started.json()["TemporaryToken"],
                          letters(word, started.json()["MemorableWordList"]))
        assert finished.status_code == 200 and finished.json()["SessionToken"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
