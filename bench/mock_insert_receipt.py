"""How fast the mock KashFlow answers InsertReceipt with 5 lines, 1,000 calls at a time: without a
state file, with --state FILE and with --state FILE --fsync, next to the goal of 500 a second;
a small write after a 20,000-line receipt; and our client's own cost.

The mock runs as `python -m mock_kashflow` in a process of its own, as people and scripts/run
start it; this process is the clients (asyncio: a thousand connections at once cost it little).
The machine's load is printed first: on a busy machine the rates drop, the mock's CPU time per
call much less. Prints figures; asserts nothing but that every call was answered OK.

Run: .venv/bin/python bench/mock_insert_receipt.py [--calls N] [--concurrency N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
USERNAME, PASSWORD = "bench@example.com", "Bench-1"
SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": '"KashFlow/InsertReceipt"'}
GOAL_PER_SECOND = 500


@dataclass
class Mock:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """The CPU time the mock's process has used: on a busy machine, a steadier figure
        than the wall clock."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running_mock(*options: str) -> Iterator[Mock]:
    """python -m mock_kashflow on a free port; killed at the end."""
    process = subprocess.Popen([sys.executable, "-m", "mock_kashflow", "--port", "0", *options],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        match = re.search(r"on (http://\S+)", process.stdout.readline())
        assert match, "the mock did not start"
        yield Mock(match.group(1), process.pid)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


def new_account(base_url: str) -> tuple[int, int]:
    """A demo account any IP may use; its first supplier's id and a nominal code's id."""
    accounts = f"{base_url}/_mock/accounts"
    requests.post(accounts, timeout=30, json={
        "username": USERNAME, "password": PASSWORD, "seed": "demo"}).raise_for_status()
    requests.patch(f"{accounts}/{USERNAME}/settings", json={"restrict_ips": False},
                   timeout=30).raise_for_status()
    state = requests.get(f"{accounts}/{USERNAME}", timeout=30).json()
    return state["suppliers"][0]["SupplierID"], state["nominal_codes"][10]["id"]


def insert_receipt_body(supplier: int, nominal: int, lines: int) -> bytes:
    line = ('<anyType xsi:type="InvoiceLine"><Quantity>1</Quantity><Description>Item'
            f'</Description><Rate>10.00</Rate><ChargeType>{nominal}</ChargeType>'
            '<VatRate>20</VatRate><VatAmount>2.00</VatAmount><Sort>0</Sort><ProjID>0</ProjID>'
            '<LineID>0</LineID></anyType>')
    return ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap='
            '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi='
            '"http://www.w3.org/2001/XMLSchema-instance"><soap:Body>'
            f'<InsertReceipt xmlns="KashFlow"><UserName>{USERNAME}</UserName>'
            f'<Password>{PASSWORD}</Password><Inv><InvoiceDate>2026-11-01T00:00:00</InvoiceDate>'
            f'<CustomerID>{supplier}</CustomerID><CustomerReference>BENCH</CustomerReference>'
            f'<Lines>{line * lines}</Lines></Inv></InsertReceipt></soap:Body></soap:Envelope>'
            ).encode()


def post_receipt(base_url: str, body: bytes) -> None:
    """One call on its own connection (the mock closes it after each answer, as HTTP/1.0)."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=600)
    try:
        connection.request("POST", "/api/service.asmx", body, SOAP_HEADERS)
        answer = connection.getresponse().read()
    finally:
        connection.close()
    assert b"<Status>OK</Status>" in answer, answer[:300]


def inserts_per_second(mock: Mock, calls: int, concurrency: int) -> tuple[float, float]:
    """Calls answered per second, `concurrency` of them in flight at any time, and the mock's
    CPU time per call."""
    body = insert_receipt_body(*new_account(mock.url), lines=5)
    post_receipt(mock.url, body)  # warm up
    started, cpu = time.perf_counter(), mock.cpu_seconds()
    asyncio.run(post_many(mock.url, body, calls, concurrency))
    return calls / (time.perf_counter() - started), (mock.cpu_seconds() - cpu) / calls


async def post_many(base_url: str, body: bytes, calls: int, concurrency: int) -> None:
    address = urlsplit(base_url)
    request = (f"POST /api/service.asmx HTTP/1.1\r\nHost: {address.netloc}\r\n"
               + "".join(f"{name}: {value}\r\n" for name, value in SOAP_HEADERS.items())
               + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    slots = asyncio.Semaphore(concurrency)

    async def call() -> None:
        async with slots:
            reader, writer = await asyncio.open_connection(address.hostname, address.port)
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                answer = await reader.readexactly(length)
            finally:
                writer.close()
            assert head.startswith(b"HTTP/1.1 200") and b"<Status>OK</Status>" in answer, head

    await asyncio.gather(*(call() for _ in range(calls)))


def small_write_after_a_big_receipt(base_url: str, big_lines: int) -> tuple[float, float]:
    """Seconds for a receipt of big_lines lines, then for a 1-line receipt after it."""
    supplier, nominal = new_account(base_url)
    started = time.perf_counter()
    post_receipt(base_url, insert_receipt_body(supplier, nominal, big_lines))
    big = time.perf_counter() - started
    small_body = insert_receipt_body(supplier, nominal, 1)
    started = time.perf_counter()
    post_receipt(base_url, small_body)
    return big, time.perf_counter() - started


def client_times(base_url: str, calls: int) -> tuple[float, float]:
    """Per call: the whole round trip, and the part spent in our client and zeep."""
    from kashflow import KashFlowClient
    from kashflow.models import Document, DocumentLine

    supplier, nominal = new_account(base_url)
    client = KashFlowClient(USERNAME, PASSWORD, url=f"{base_url}/api/service.asmx")
    doc = Document(party_id=supplier, date=dt.date(2026, 11, 1), reference="BENCH", lines=[
        DocumentLine(quantity=Decimal(1), description=f"Line {i}", rate=Decimal("10.00"),
                     nominal_id=nominal, vat_rate=Decimal(20), vat_amount=Decimal("2.00"))
        for i in range(5)])
    client.insert_receipt(doc)  # warm up: WSDL parsed, connection open
    body = insert_receipt_body(supplier, nominal, lines=5)
    network = []
    for _ in range(calls):  # the same call without our client: the mock and the network
        started = time.perf_counter()
        post_receipt(base_url, body)
        network.append(time.perf_counter() - started)
    totals = []
    for _ in range(calls):
        started = time.perf_counter()
        client.insert_receipt(doc)
        totals.append(time.perf_counter() - started)
    total = statistics.mean(totals)
    return total, total - statistics.mean(network)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--big-lines", type=int, default=20_000)
    args = parser.parse_args()

    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"Machine: {os.cpu_count()} cores, load average {load}")
    print(f"InsertReceipt, 5 lines, {args.calls:,} calls, {args.concurrency:,} at a time "
          f"(the mock in its own process); goal >= {GOAL_PER_SECOND}/s:")
    with tempfile.TemporaryDirectory() as folder:
        state = str(Path(folder) / "state.json")
        runs = [("no state file", ()),
                ("--state FILE", ("--state", state)),
                ("--state FILE --fsync", ("--state", state + "-fsync", "--fsync"))]
        for label, options in runs:
            with running_mock(*options) as mock:
                rate, cpu = inserts_per_second(mock, args.calls, args.concurrency)
            verdict = "met" if rate >= GOAL_PER_SECOND else "NOT met"
            # One Python process does the work on one core at most: 1 / its CPU time per
            # call is the rate it would reach with a core to itself.
            print(f"  {label:22} {rate:6.0f} InsertReceipt/s   goal {verdict:7}   the mock's "
                  f"CPU {cpu * 1000:.2f} ms/call (a free core: {1 / cpu:4.0f}/s)")

        print(f"A 1-line receipt after one of {args.big_lines:,} lines, with --state FILE:")
        with running_mock("--state", str(Path(folder) / "big.json")) as mock:
            big, small = small_write_after_a_big_receipt(mock.url, args.big_lines)
        print(f"  the big receipt        {big * 1000:8.0f} ms")
        print(f"  the 1-line receipt     {small * 1000:8.1f} ms")

    print("kashflow client, one call at a time (no state file):")
    with running_mock() as mock:
        total, own = client_times(mock.url, min(args.calls, 300))
    print(f"  round trip             {total * 1000:8.2f} ms/call")
    print(f"  client's own time      {own * 1000:8.2f} ms/call (building, zeep, parsing)")


if __name__ == "__main__":
    main()
