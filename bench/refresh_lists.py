"""How long "Refresh integration data" takes on a big KashFlow account, and its memory.

A mock account gets 10,000 suppliers, 5,000 customers and 500 nominal codes;
the module refreshes them into a throwaway in-memory SQLite database, twice.
The second refresh should write nothing. Prints figures; asserts nothing.

Run: .venv/bin/python bench/refresh_lists.py [--suppliers N] [--customers N] [--nominals N]
Set DB_CACHE to a directory to skip activating the module after the first run.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import requests

# A throwaway database: in memory, unless TRYTOND_DATABASE_URI names a server
# (then trytond's test database, dropped at the end).
if not os.environ.get("TRYTOND_DATABASE_URI"):
    os.environ["TRYTOND_DATABASE_URI"] = "sqlite://"
    os.environ.setdefault("DB_NAME", ":memory:")

USERNAME, PASSWORD = "bench@example.com", "Bench-1"


def fill_account(base_url: str, suppliers: int, customers: int, nominals: int) -> str:
    def post(path: str, json: object) -> dict:
        response = requests.post(f"{base_url}/_mock/{path}", json=json, timeout=600)
        response.raise_for_status()
        return response.json()

    key = post("accounts", {"username": USERNAME, "password": PASSWORD, "seed": "empty"})
    post(f"accounts/{USERNAME}/suppliers", [
        {"Code": f"S{n:05d}", "Name": f"Supplier {n}", "Email": f"s{n}@example.com",
         "PaymentTerms": 30} for n in range(suppliers)])
    post(f"accounts/{USERNAME}/customers", [
        {"Code": f"C{n:05d}", "Name": f"Customer {n}", "Email": f"c{n}@example.com"}
        for n in range(customers)])
    post(f"accounts/{USERNAME}/nominal_codes", [
        {"Code": 1000 + n, "Name": f"Nominal {n}", "TypeID": 2, "VATRate": 20}
        for n in range(nominals)])
    return key["autoauth_key"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--nominals", type=int, default=500)
    args = parser.parse_args()

    import logging

    from mock_kashflow import ThreadedMockServer
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMockServer().start()
    started = time.perf_counter()
    key = fill_account(server.url, args.suppliers, args.customers, args.nominals)
    print(f"mock account filled            {time.perf_counter() - started:7.2f} s  "
          f"({args.suppliers} suppliers, {args.customers} customers, "
          f"{args.nominals} nominal codes)")

    from kashflow import KashFlowClient
    with KashFlowClient(USERNAME, PASSWORD, url=server.service_url) as client:
        client.auto_auth_ip(key)
        started = time.perf_counter()
        count = len(client.get_suppliers())
        print(f"GetSuppliers alone             {time.perf_counter() - started:7.2f} s  "
              f"({count} suppliers)")

    from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db

    from dext_kashflow.tests import encryption_key_for_tests
    encryption_key_for_tests()  # as a configured server has
    started = time.perf_counter()
    activate_module("dext_kashflow")
    print(f"module activated               {time.perf_counter() - started:7.2f} s  "
          f"(DB_CACHE={os.environ.get('DB_CACHE') or 'unset'})")

    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from dext_kashflow import sync

    with Transaction().start(DB_NAME, 1) as transaction:
        Connection = Pool().get("kashflow.connection")
        company = create_company()
        with set_company(company):
            connection = Connection(
                company=company, url=server.service_url, username=USERNAME,
                password=PASSWORD, autoauth_secret=key, state="connected")
            connection.save()
        transaction.commit()

        for run in ("first", "second"):
            rss_before = peak_rss_mb()
            started = time.perf_counter()
            with connection.client() as client:
                data = sync.fetch(client)
            fetched = time.perf_counter()
            stats = sync.apply(connection, data)
            transaction.commit()
            done = time.perf_counter()
            writes = sum(s.writes for s in stats.values())
            rows = sum(s.active for s in stats.values())
            print(f"{run} refresh: read KashFlow    {fetched - started:7.2f} s")
            print(f"{run} refresh: write Tryton     {done - fetched:7.2f} s  "
                  f"({rows} rows, {writes} written)")
            print(f"{run} refresh: total            {done - started:7.2f} s  "
                  f"(peak RSS of the process {peak_rss_mb():.0f} MiB, "
                  f"{rss_before:.0f} MiB before)")
            del data
    drop_db()
    server.stop()


if __name__ == "__main__":
    main()
