"""How long "Refresh integration data" takes on a big KashFlow account, and its memory.

A mock KashFlow (its own process, so that its work is not counted as ours) gets an account
with 10,000 suppliers, 5,000 customers and 500 nominal codes. Then:
1. the client alone reads the 10,000 suppliers (best of three), split into HTTP, reading
   the XML and making the client's records; and zeep's objects on the same answer;
2. the module refreshes the lists into a throwaway database through the refresh job's
   entry point (kashflow.connection's sync_lists), three times: all new, nothing new (each
   answer comes byte for byte as before: its digest matches, so neither its XML nor its rows
   are read again, and the time is mostly the mock's), then 1% of the suppliers, customers
   and nominal codes changed in KashFlow (read in full).
Each refresh prints its time (wall; the CPU of this process and of the mock's), reading
KashFlow apart from the module's own work (the rest: reading and writing the database),
its peak memory, and each figure beside issue 10's goal, for the database it ran on.
The split comes from the figures the client and the refresh log at DEBUG (kashflow.client,
dext_kashflow.sync.refresh). On a busy machine wall times include waiting for a core: the
load average is printed first. Prints figures; asserts nothing.

Run: .venv/bin/python bench/refresh_lists.py [--suppliers N] [--customers N] [--nominals N]
     [--profile]    (also: where the first and the unchanged refresh spend their time)
     [--skip-client]  (only the module's refreshes)
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
def mock_kashflow() -> Iterator[tuple[str, int]]:
    """python -m mock_kashflow on a free port; yields its base URL and process id."""
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
        yield base_url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Account:
    autoauth_key: str
    ids: dict[str, list[int]]  # KashFlow's ids by collection


def fill_account(base_url: str, suppliers: int, customers: int, nominals: int) -> Account:
    def post(path: str, json: object) -> dict:
        response = requests.post(f"{base_url}/_mock/{path}", json=json, timeout=600)
        response.raise_for_status()
        return response.json()

    key = post("accounts", {"username": USERNAME, "password": PASSWORD, "seed": "empty"})
    requests.patch(f"{base_url}/_mock/accounts/{USERNAME}/settings",
                   json={"restrict_ips": False}, timeout=60).raise_for_status()
    ids = {}
    ids["suppliers"] = post(f"accounts/{USERNAME}/suppliers", [
        {"Code": f"S{n:05d}", "Name": f"Supplier {n}", "Email": f"s{n}@example.com",
         "PaymentTerms": 30} for n in range(suppliers)])["ids"]
    ids["customers"] = post(f"accounts/{USERNAME}/customers", [
        {"Code": f"C{n:05d}", "Name": f"Customer {n}", "Email": f"c{n}@example.com"}
        for n in range(customers)])["ids"]
    ids["nominal_codes"] = post(f"accounts/{USERNAME}/nominal_codes", [
        {"Code": 1000 + n, "Name": f"Nominal {n}", "TypeID": 2, "VATRate": 20}
        for n in range(nominals)])["ids"]
    return Account(key["autoauth_key"], ids)


def change_one_percent(base_url: str, account: Account) -> int:
    """Rename one record in a hundred of each list in the mock; the number renamed."""
    changed = 0
    with requests.Session() as session:
        for collection, ids in account.ids.items():
            for record_id in ids[::100]:
                session.patch(f"{base_url}/_mock/accounts/{USERNAME}/{collection}/{record_id}",
                              json={"Name": f"Renamed {record_id}"},
                              timeout=60).raise_for_status()
                changed += 1
    return changed


# Measuring -------------------------------------------------------------------------


# The client logs its figures for each list it reads, the refresh how long reading them all
# took (it reads two at a time).
LOGGERS = ("kashflow.client", "dext_kashflow.sync.refresh")


class ListLog(logging.Handler):
    """Collects the figures the client and the refresh log at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.figures: list = []
        self.fetch_seconds: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        figures = getattr(record, "kashflow_list", None)
        if figures is not None:
            self.figures.append(figures)
        seconds = getattr(record, "kashflow_fetch_seconds", None)
        if seconds is not None:
            self.fetch_seconds = seconds

    def __enter__(self) -> ListLog:
        for name in LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(logging.DEBUG)
            logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self)


def cpu_of(pid: int | None) -> float:
    """CPU seconds (user and system) another process has used so far; 0 if unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    mock_cpu: float = 0.0  # the mock KashFlow's CPU meanwhile
    peak: float = 0.0  # MiB, the process's resident memory at its highest
    before: float = 0.0  # MiB, resident as the step started
    lists: list = field(default_factory=list)
    fetch_seconds: float | None = None

    @property
    def reading(self) -> float:
        """Reading KashFlow: the refresh's own figure (the lists are read two at a time),
        else the client's calls, from the request to its records, one after the other."""
        if self.fetch_seconds is not None:
            return self.fetch_seconds
        return sum(f.call_seconds + f.model_seconds for f in self.lists)


@contextmanager
def step(mock_pid: int | None = None) -> Iterator[Step]:
    result = Step()
    reset_peak()
    result.before = peak_mib()
    with ListLog() as log:
        started, cpu, mock_cpu = time.perf_counter(), time.process_time(), cpu_of(mock_pid)
        yield result
        result.wall = time.perf_counter() - started
        result.cpu = time.process_time() - cpu
        result.mock_cpu = cpu_of(mock_pid) - mock_cpu
    result.peak = peak_mib()
    result.lists = log.figures
    result.fetch_seconds = log.fetch_seconds


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
    print("    summed over the calls, which overlap:")
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


# Issue 10's goals for the refresh, in seconds of wall time.
GOALS = {
    "first": ("first refresh (all new)", 5.0, "< 5 s"),
    "unchanged": ("unchanged refresh (nothing new)", 2.0, "< 2 s"),
    "changed": ("refresh with 1% changed", 5.0, "< 5 s (issue 10 sets none: a first's)"),
}
MEMORY_GOAL_MB = 250


def module_refresh(base_url: str, mock_pid: int, account: Account, profile: bool) -> list:
    """The three refreshes through the refresh job's entry point; their (goal key, Step)."""
    from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db

    started = time.perf_counter()
    activate_module("dext_kashflow")
    print(f"module activated in {time.perf_counter() - started:.1f} s "
          f"(DB_CACHE={os.environ.get('DB_CACHE') or 'unset'})")

    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    results = []
    with Transaction().start(DB_NAME, 1) as transaction:
        pool = Pool()
        Connection = pool.get("kashflow.connection")
        company = create_company()
        with set_company(company):
            connection = Connection(
                company=company, url=f"{base_url}/api/service.asmx", username=USERNAME,
                password=PASSWORD, autoauth_secret=account.autoauth_key, state="connected")
            connection.save()
        transaction.commit()

        for run in GOALS:
            if run == "changed":
                count = change_one_percent(base_url, account)
                print(f"{count} records renamed in KashFlow (one in a hundred of each list)")
            profiler = start_profile() if profile and run != "changed" else None
            with step(mock_pid) as result:
                Connection.sync_lists([connection])  # what the queue runs
                transaction.commit()
            if profiler:
                print_profile(profiler, GOALS[run][0])
            connection = Connection(connection.id)
            label, goal, goal_text = GOALS[run]
            print(f"{label}: {connection.refresh_state}")
            line("total", result.wall, f"goal {goal_text}: "
                 f"{'met' if result.wall < goal else 'NOT met'}")
            line("  CPU of this process", result.cpu)
            line("  CPU of the mock KashFlow", result.mock_cpu)
            print_reading(result)
            if result.lists:
                line("the module (rows, database, commit)", result.wall - result.reading)
            print_memory(result)
            for summary in (connection.refresh_summary or "").splitlines():
                print(f"    {summary}")
            results.append((run, result))
    drop_db()
    return results


def print_goals(results: list, backend: str, load: float) -> None:
    print(f"\nIssue 10's goals on {backend} (load average {load:.1f} as it started, "
          f"{os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} cores)")
    for run, result in results:
        label, goal, goal_text = GOALS[run]
        print(f"  {label:<34}{result.wall:6.2f} s   goal {goal_text:<38}"
              f"{'met' if result.wall < goal else 'NOT met'}")
    peak = max(result.peak for _, result in results) * 1024 * 1024 / 1e6
    print(f"  {'peak memory':<34}{peak:6.0f} MB  goal < {MEMORY_GOAL_MB} MB"
          f"{'':<30}{'met' if peak < MEMORY_GOAL_MB else 'NOT met'}")


def start_profile():
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def print_profile(profiler, label: str) -> None:
    import pstats
    profiler.disable()
    print(f"  where the {label} spends its time (cProfile, cumulative):")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"dext_kashflow|kashflow/|trytond/model", 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--nominals", type=int, default=500)
    parser.add_argument("--profile", action="store_true",
                        help="print where the first and the unchanged refresh spend their time")
    parser.add_argument("--skip-client", action="store_true",
                        help="leave out the client alone (GetSuppliers and zeep's objects)")
    args = parser.parse_args()
    if not reset_peak():
        print("(peak memory is the process's since it started: /proc/self/clear_refs "
              "cannot be written here)")

    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores"
          + (": wall times include waiting for a core; CPU times less so"
             if load > (os.cpu_count() or 1) / 2 else ""))
    with mock_kashflow() as (base_url, mock_pid):
        started = time.perf_counter()
        account = fill_account(base_url, args.suppliers, args.customers, args.nominals)
        print(f"mock account filled in {time.perf_counter() - started:.1f} s "
              f"({args.suppliers} suppliers, {args.customers} customers, "
              f"{args.nominals} nominal codes)")
        if not args.skip_client:
            client_alone(f"{base_url}/api/service.asmx")
        results = module_refresh(base_url, mock_pid, account, args.profile)
    backend = os.environ["TRYTOND_DATABASE_URI"].split(":", 1)[0]
    print_goals(results, "PostgreSQL" if backend.startswith("postgres") else "SQLite", load)


if __name__ == "__main__":
    main()
