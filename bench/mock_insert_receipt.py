"""How fast the mock KashFlow answers InsertReceipt with 5 lines, and our client's own cost.

Prints figures; asserts nothing. Run: .venv/bin/python bench/mock_insert_receipt.py [--calls N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from rawsoap import document, line, new_account  # noqa: E402

from mock_kashflow import ThreadedMockServer  # noqa: E402


def raw_requests_per_second(account, body: str, calls: int, threads: int) -> float:
    from rawsoap import envelope

    inner = (f"<UserName>{account.username}</UserName><Password>{account.password}</Password>"
             + body)
    data = envelope("InsertReceipt", inner).encode()
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"KashFlow/InsertReceipt"'}

    def worker(n: int) -> None:
        with requests.Session() as session:
            for _ in range(n):
                response = session.post(account.url, data=data, headers=headers, timeout=30)
                assert b"<Status>OK</Status>" in response.content, response.text[:300]

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, [calls // threads] * threads))
    return (calls // threads * threads) / (time.perf_counter() - started)


def client_times(account, calls: int) -> tuple[float, float]:
    """Per call: the whole round trip, and the part spent in our client and zeep."""
    from kashflow import KashFlowClient
    from kashflow.models import Document, DocumentLine

    state = account.state()
    client = KashFlowClient(account.username, account.password, url=account.url)
    nominal = state["nominal_codes"][10]["id"]
    doc = Document(party_id=state["suppliers"][0]["SupplierID"], date=dt.date(2026, 11, 1),
                   reference="BENCH", lines=[
                       DocumentLine(quantity=Decimal(1), description=f"Line {i}",
                                    rate=Decimal("10.00"), nominal_id=nominal,
                                    vat_rate=Decimal(20), vat_amount=Decimal("2.00"))
                       for i in range(5)])
    client.insert_receipt(doc)  # warm up: WSDL parsed, connection open
    network = []
    original_post = requests.Session.post

    def timed_post(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original_post(self, *args, **kwargs)
        finally:
            network.append(time.perf_counter() - started)

    requests.Session.post = timed_post
    totals = []
    try:
        for _ in range(calls):
            started = time.perf_counter()
            client.insert_receipt(doc)
            totals.append(time.perf_counter() - started)
    finally:
        requests.Session.post = original_post
    total = statistics.mean(totals)
    return total, total - statistics.mean(network)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with ThreadedMockServer() as server:
        account = new_account(server.url)
        state = account.state()
        nominal = state["nominal_codes"][10]["id"]
        body = document(state["suppliers"][0]["SupplierID"],
                        [line("10.00", "20", "2.00", nominal) for _ in range(5)])
        print(f"InsertReceipt, 5 lines, {args.calls} calls on {args.threads} threads:")
        rate = raw_requests_per_second(account, body, args.calls, args.threads)
        print(f"  mock throughput      {rate:8.0f} requests/s")
        total, own = client_times(account, min(args.calls, 300))
        print("kashflow client, one call at a time:")
        print(f"  round trip           {total * 1000:8.2f} ms/call")
        print(f"  client's own time    {own * 1000:8.2f} ms/call (building, zeep, parsing)")


if __name__ == "__main__":
    main()
