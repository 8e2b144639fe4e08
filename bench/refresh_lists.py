"""How long "Refresh integration data" takes on a big KashFlow account, and its memory.

A mock KashFlow (its own process, so that its work is not counted as ours) gets an account
with 10,000 suppliers, 5,000 customers and 500 nominal codes. Then:
1. the client alone reads the 10,000 suppliers (best of three), split into HTTP, reading
   the XML and making the client's records; and zeep's objects on the same answer;
2. the module refreshes the lists into a throwaway database through the refresh job's
   entry point (kashflow.connection's sync_lists), twice: the second finds nothing new.
Each step prints its time (wall and CPU), reading KashFlow apart from the module's own
work (the rest: building rows, reading and writing the database), and its peak memory.
The split comes from the client's own figures, logged at DEBUG (kashflow.client).
Prints figures; asserts nothing.

Run: .venv/bin/python bench/refresh_lists.py [--suppliers N] [--customers N] [--nominals N]
     [--profile]    (also: where the first refresh spends its time, by function)
Set DB_CACHE to a directory to skip activating the module after the first run;
TRYTOND_DATABASE_URI to use PostgreSQL rather than SQLite in memory.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

# A throwaway database: in memory, unless TRYTOND_DATABASE_URI names a server
# (then trytond's test database, dropped at the end).
if not os.environ.get("TRYTOND_DATABASE_URI"):
    os.environ["TRYTOND_DATABASE_URI"] = "sqlite://"
    os.environ.setdefault("DB_NAME", ":memory:")
# The module keeps KashFlow's password encrypted: a throwaway key, as a server's configuration
# would give one ([dext_kashflow] secret_keys).
if not os.environ.get("TRYTOND_DEXT_KASHFLOW__SECRET_KEYS"):
    from cryptography.fernet import Fernet
    os.environ["TRYTOND_DEXT_KASHFLOW__SECRET_KEYS"] = Fernet.generate_key().decode()

ROOT = Path(__file__).resolve().parent.parent
USERNAME, PASSWORD = "bench@example.com", "Bench-1"


# The mock KashFlow, in a process of its own ---------------------------------------


@contextmanager
def mock_kashflow() -> Iterator[str]:
    """python -m mock_kashflow on a free port; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_kashflow", "--port", str(port)], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base_url}/_mock/faults", timeout=1).raise_for_status()
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the mock KashFlow did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def fill_account(base_url: str, suppliers: int, customers: int, nominals: int) -> str:
    def post(path: str, json: object) -> dict:
        response = requests.post(f"{base_url}/_mock/{path}", json=json, timeout=600)
        response.raise_for_status()
        return response.json()

    key = post("accounts", {"username": USERNAME, "password": PASSWORD, "seed": "empty"})
    requests.patch(f"{base_url}/_mock/accounts/{USERNAME}/settings",
                   json={"restrict_ips": False}, timeout=60).raise_for_status()
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


# Measuring -------------------------------------------------------------------------


class ListLog(logging.Handler):
    """Collects the client's figures for each list it reads (kashflow.list_reader)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.figures: list = []

    def emit(self, record: logging.LogRecord) -> None:
        figures = getattr(record, "kashflow_list", None)
        if figures is not None:
            self.figures.append(figures)

    def __enter__(self) -> ListLog:
        logger = logging.getLogger("kashflow.client")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("kashflow.client").removeHandler(self)


def peak_mib() -> float:
    """The process's peak resident memory since reset_peak() (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Start peak_mib() again from the present size (Linux); False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Step:
    wall: float = 0.0
    cpu: float = 0.0
    peak: float = 0.0  # MiB, the process's resident memory at its highest
    before: float = 0.0  # MiB, resident as the step started
    lists: list = field(default_factory=list)

    @property
    def reading(self) -> float:
        """Reading KashFlow: the client's calls, from the request to its records."""
        return sum(f.call_seconds + f.model_seconds for f in self.lists)


@contextmanager
def step() -> Iterator[Step]:
    result = Step()
    reset_peak()
    result.before = peak_mib()
    with ListLog() as log:
        started, cpu = time.perf_counter(), time.process_time()
        yield result
        result.wall = time.perf_counter() - started
        result.cpu = time.process_time() - cpu
    result.peak = peak_mib()
    result.lists = log.figures


def print_memory(result: Step) -> None:
    print(f"  peak memory of the process {result.peak:17.0f} MiB  "
          f"({result.before:.0f} MiB before)")


def line(label: str, seconds: float, note: str = "") -> None:
    print(f"  {label:<38}{seconds:7.2f} s  {note}".rstrip())


def print_reading(result: Step) -> None:
    if not result.lists:
        print("  (the client logged no figures: reading KashFlow is not told apart)")
        return
    http = sum(f.http_seconds for f in result.lists)
    xml = sum(f.reading_seconds for f in result.lists)
    models = sum(f.model_seconds for f in result.lists)
    size = sum(f.answer_bytes for f in result.lists) / 1024 / 1024
    line("reading KashFlow", result.reading,
         f"({len(result.lists)} calls, {size:.1f} MiB of answers)")
    line("  HTTP (waiting on KashFlow)", http)
    line("  reading the XML", xml)
    line("  making the client's records", models)


# The client alone --------------------------------------------------------------------


def client_alone(service_url: str) -> None:
    from kashflow import KashFlowClient

    print("The client alone: GetSuppliers")
    with KashFlowClient(USERNAME, PASSWORD, url=service_url, timeout=120) as client:
        runs = []
        for _ in range(3):
            with step() as result:
                count = len(client.get_suppliers())
            runs.append(result)
    best = min(runs, key=lambda r: r.wall)
    line(f"{count} suppliers, best of 3", best.wall,
         f"(CPU {best.cpu:.2f} s; runs {', '.join(f'{r.wall:.2f}' for r in runs)} s)")
    for figures in best.lists:
        line("  HTTP (waiting on the mock)", figures.http_seconds,
             f"({figures.answer_bytes / 1024 / 1024:.1f} MiB)")
        line("  reading the XML (lxml)", figures.reading_seconds)
        line("  making the client's records", figures.model_seconds)
    print_memory(best)
    zeep_objects(service_url)


def zeep_objects(service_url: str) -> None:
    """zeep's objects then plain dicts (the client's way before) on the same answer."""
    import zeep

    from kashflow.client import BINDING, SETTINGS, wsdl_document
    from kashflow.convert import plain

    envelope = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<GetSuppliers xmlns="KashFlow"><UserName>{USERNAME}</UserName>'
        f"<Password>{PASSWORD}</Password></GetSuppliers></soap:Body></soap:Envelope>")
    answer = requests.post(service_url, data=envelope.encode(), timeout=120, headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"KashFlow/GetSuppliers"'})
    client = zeep.Client(wsdl_document(), settings=SETTINGS)
    binding = client.wsdl.bindings[BINDING]
    started, cpu = time.perf_counter(), time.process_time()
    plain(binding.process_reply(client, binding.get("GetSuppliers"), answer))
    line("  for comparison: zeep's objects, same answer", time.perf_counter() - started,
         f"(CPU {time.process_time() - cpu:.2f} s; the client's way before)")


# The module's refresh ----------------------------------------------------------------


def module_refresh(service_url: str, key: str, profile: bool) -> None:
    from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db

    started = time.perf_counter()
    activate_module("dext_kashflow")
    print(f"module activated in {time.perf_counter() - started:.1f} s "
          f"(DB_CACHE={os.environ.get('DB_CACHE') or 'unset'})")

    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(DB_NAME, 1) as transaction:
        pool = Pool()
        Connection = pool.get("kashflow.connection")
        company = create_company()
        with set_company(company):
            connection = Connection(
                company=company, url=service_url, username=USERNAME,
                password=PASSWORD, autoauth_secret=key, state="connected")
            connection.save()
        transaction.commit()

        for run in ("first refresh (all new)", "second refresh (nothing new)"):
            profiler = start_profile() if profile and run.startswith("first") else None
            with step() as result:
                Connection.sync_lists([connection])  # what the queue runs
                transaction.commit()
            if profiler:
                print_profile(profiler)
            connection = Connection(connection.id)
            print(f"{run}: {connection.refresh_state}")
            line("total", result.wall, f"(CPU {result.cpu:.2f} s)")
            print_reading(result)
            if result.lists:
                line("the module (rows, database, commit)", result.wall - result.reading)
            print_memory(result)
            for summary in (connection.refresh_summary or "").splitlines():
                print(f"    {summary}")
    drop_db()


def start_profile():
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def print_profile(profiler) -> None:
    import pstats
    profiler.disable()
    print("  where the first refresh spends its time (cProfile, cumulative):")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"dext_kashflow|kashflow/|trytond/model", 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--nominals", type=int, default=500)
    parser.add_argument("--profile", action="store_true",
                        help="print where the first refresh spends its time")
    args = parser.parse_args()
    if not reset_peak():
        print("(peak memory is the process's since it started: /proc/self/clear_refs "
              "cannot be written here)")

    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores"
          + (": wall times include waiting for a core; CPU times less so"
             if load > (os.cpu_count() or 1) / 2 else ""))
    with mock_kashflow() as base_url:
        service_url = f"{base_url}/api/service.asmx"
        started = time.perf_counter()
        key = fill_account(base_url, args.suppliers, args.customers, args.nominals)
        print(f"mock account filled in {time.perf_counter() - started:.1f} s "
              f"({args.suppliers} suppliers, {args.customers} customers, "
              f"{args.nominals} nominal codes)")
        client_alone(service_url)
        module_refresh(service_url, key, args.profile)


if __name__ == "__main__":
    main()
