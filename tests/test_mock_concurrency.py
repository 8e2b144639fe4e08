"""Many clients at once: every insert gets its own number and none is lost, and a slow call
holds up no other."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests
from rawsoap import document, envelope, line, new_account


def test_20_threads_inserting_receipts(mock_server):
    account = new_account(mock_server.url)
    state = account.state()
    supplier = state["suppliers"][0]["SupplierID"]
    nominal = state["nominal_codes"][10]["id"]
    lines = [line(f"{n}.00", "20", f"{n * 2 / 10:.2f}", nominal) for n in range(1, 6)]

    def insert(i: int) -> int:
        reply = account.call("InsertReceipt", document(supplier, lines, reference=f"T-{i}"))
        assert reply.ok, reply.text
        return int(reply.value("InsertReceiptResult"))

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(insert, range(100)))

    assert sorted(numbers) == list(range(1, 101))
    receipts = account.state()["receipts"]
    assert len(receipts) == 100
    assert sorted(r["CustomerReference"] for r in receipts) == sorted(f"T-{i}" for i in range(100))
    assert len({r["InvoiceDBID"] for r in receipts}) == 100


def test_a_slow_call_holds_up_no_other(mock_server):
    """One call waits in KashFlow (an injected delay) and one client sends its request's body
    slowly: the calls of others are answered meanwhile, and both are answered after."""
    account = new_account(mock_server.url)
    requests.post(f"{mock_server.url}/_mock/faults", timeout=10, json={
        "operation": "GetCompanyDetails", "kind": "delay", "delay_ms": 3000}).raise_for_status()
    with ThreadPoolExecutor(max_workers=1) as pool:
        delayed = pool.submit(account.call, "GetCompanyDetails")
        wait_until(lambda: not account_faults(mock_server.url))  # the delayed call is in

        body = envelope("GetSuppliers", f"<UserName>{account.username}</UserName>"
                        f"<Password>{account.password}</Password>").encode()
        address = urlsplit(mock_server.url)
        with socket.create_connection((address.hostname, address.port), timeout=10) as slow:
            slow.sendall((f"POST /api/service.asmx HTTP/1.1\r\nHost: {address.netloc}\r\n"
                          'Content-Type: text/xml; charset=utf-8\r\n'
                          'SOAPAction: "KashFlow/GetSuppliers"\r\n'
                          f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:40])

            # Others are answered while both wait.
            for _ in range(3):
                assert account.call("GetNominalCodes").ok
            assert not delayed.done()

            slow.sendall(body[40:])
            answer = slow.makefile("rb").read()
        assert answer.startswith(b"HTTP/1.1 200") and b"<Status>OK</Status>" in answer
        assert delayed.result().ok


def account_faults(base_url: str) -> list:
    return requests.get(f"{base_url}/_mock/faults", timeout=10).json()


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.01)
