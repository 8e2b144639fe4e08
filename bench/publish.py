"""How fast supplier invoices are published to KashFlow, the calls each takes, and the ERP's cost.

A throwaway database (in-memory SQLite unless TRYTOND_DATABASE_URI names a server) gets a
company connected to an in-process mock KashFlow with its accounts and taxes mapped, then N
posted supplier invoices of 3 lines, unpaid, without a file, created in bulk (their set-up is
timed apart). A publisher selects them all and clicks Publish: the button checks them and
queues the publishing task, which runs right after (no worker), as for a user. The mock answers
every KashFlow call after --latency-ms.

Prints documents per second; KashFlow calls per document (HTTP POSTs counted at the client's
transport, by SOAP operation, checked against the publication logs and the mock's receipts);
the ERP's own time per document (the click's time less the time inside HTTP calls), split
into the Publish button's steps and the publishing tasks' (reading the invoices, building
KashFlow clients from the WSDL, zeep, the rest); database commits and SQL statements per
document; peak memory; and, beside the figures, the goals of issue 10 (ERP CPU <= 15 ms,
<= 3 commits, <= 20 SQL statements per document; issue 11's 2.0 KashFlow calls per unpaid
document with the connection's "Compare After Publishing", which reads each one back, and
1.0 without it: --no-compare). Asserts nothing.

The module's own parts are timed from what it logs at DEBUG (dext_kashflow.timing); the
client's HTTP calls, trytond's commits and SQL statements are counted by wrapping them here.
Nothing of the module is replaced.

Each time is shown as wall time and as CPU time of the publishing thread. The wall time
counts what slows the thread down from outside: other processes on the machine, and the
mock server's threads, which share the interpreter's lock; the CPU time does not, and is the
better figure of the ERP's own cost when the machine is busy.

Over KashFlow's SOAP API, then its REST API (the same connection switched, its lists and
mappings kept), the figures side by side at the end (--protocol soap|rest|both); --paid
publishes them as paid (the supplier's rule), a second call per document over SOAP, none
over REST, where the payment rides with the document.

Run: .venv/bin/python bench/publish.py [--quick] [--latency-ms 50] [--sizes 100 1000]
     [--protocol both] [--paid] [--no-compare] [--profile FILE]
--quick publishes 100 documents only. --profile writes cProfile's statistics of the largest
run's Publish click to FILE and prints its hot spots, in CPU time of the publishing thread
(the figures of that run include cProfile's overhead). Set DB_CACHE to a directory to skip
activating the module after the first run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

# A throwaway database: in memory, unless TRYTOND_DATABASE_URI names a server
# (then trytond's test database, dropped at the end).
if not os.environ.get("TRYTOND_DATABASE_URI"):
    os.environ["TRYTOND_DATABASE_URI"] = "sqlite://"
    os.environ.setdefault("DB_NAME", ":memory:")
# A throwaway key for the KashFlow password the connection stores.
if not os.environ.get("TRYTOND_DEXT_KASHFLOW__SECRET_KEYS"):
    from cryptography.fernet import Fernet
    os.environ["TRYTOND_DEXT_KASHFLOW__SECRET_KEYS"] = Fernet.generate_key().decode()

USERNAME, PASSWORD = "bench@example.com", "Bench-1"
SUPPLIER = "BT Business"  # in the mock's demo account: the refresh links the party to it
BATCH = 50  # invoices created and posted per transaction
LINES = [(1, "12.50", "Calls"), (2, "7.25", "Line rental"), (1, "30.00", "Broadband")]
# Issue 10's goals per document: the ERP's own CPU time, commits, SQL statements.
GOALS = {"cpu_ms": 15, "commits": 3, "statements": 20}
API_NAMES = {"soap": "SOAP", "rest": "REST"}


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Meter:
    """Counts and times, while recording, what one publish run does: HTTP calls to KashFlow
    (at the client's transport, so a retried call counts twice), the client's calls, building
    clients, database commits and SQL statements, documents published. Each time is kept as
    wall time and as CPU time of the calling thread (the mock server's threads excluded), which
    other processes on the machine do not inflate."""

    def __init__(self) -> None:
        self.recording = False
        self.total = 0
        self.reset()

    def reset(self) -> None:
        self.calls: Counter[str] = Counter()
        # Keys: http (inside KashFlowTransport.post: send, wait, read the answer), client
        # (inside KashFlowClient._call, HTTP included), client_init (building a client:
        # zeep reads the WSDL); from the module's timing log: task (the queued publishing
        # tasks), publish (one document's run), prepare (reading the invoices into KashFlow
        # documents, in the tasks), check and queue (the Publish button's checks, and its
        # creating the publications and queueing the tasks).
        self.wall: Counter[str] = Counter()
        self.cpu: Counter[str] = Counter()
        self.clients = 0
        self.commits = 0
        self.statements = 0
        self.published = 0

    def install(self) -> None:
        import logging

        from trytond.transaction import Transaction

        from kashflow.client import KashFlowClient
        from kashflow.rest_client import KashFlowRestClient
        from kashflow.transport import KashFlowTransport

        meter = self

        def timed(owner, name, key, on_done=None, classmethod_=False):
            original = getattr(owner, name)

            def wrapper(*args, **kwargs):
                if not meter.recording:
                    return original(*args, **kwargs)
                started, cpu = time.perf_counter(), time.thread_time()
                try:
                    return original(*args, **kwargs)
                finally:
                    if key:
                        meter.wall[key] += time.perf_counter() - started
                        meter.cpu[key] += time.thread_time() - cpu
                    if on_done:
                        on_done(args, kwargs)
            wrapper.__wrapped__ = original
            # A classmethod's original is bound to its class already.
            setattr(owner, name, staticmethod(wrapper) if classmethod_ else wrapper)

        def on_send(args, kwargs):
            meter.calls[call_name(args[1], args[2], kwargs.get("headers") or {})] += 1

        def on_init(args, kwargs):
            meter.clients += 1

        def on_commit(args, kwargs):
            meter.commits += 1

        def on_execute(args, kwargs):
            meter.statements += 1

        timed(KashFlowTransport, "send", "http", on_send)
        for client in (KashFlowClient, KashFlowRestClient):
            timed(client, "_call", "client")
            timed(client, "__init__", "client_init", on_init)
        timed(Transaction, "commit", None, on_commit)

        class Timing(logging.Handler):
            "The module's timing log: what each of its parts took"

            def emit(self, record: logging.LogRecord) -> None:
                figures = getattr(record, "kashflow_timing", None)
                if not meter.recording or not figures:
                    return
                meter.wall[figures["part"]] += figures["wall"]
                meter.cpu[figures["part"]] += figures["cpu"]
                if figures["part"] == "publish":
                    meter.published += 1
                    if meter.published % max(meter.total // 10, 1) == 0:
                        progress(f"{meter.published}/{meter.total} published")

        timing = logging.getLogger("dext_kashflow.timing")
        timing.setLevel(logging.DEBUG)
        timing.addHandler(Timing())
        timing.propagate = False
        from trytond import backend
        if backend.name == "sqlite":
            from trytond.backend.sqlite.database import SQLiteCursor as Cursor
        elif backend.name == "postgresql":
            from trytond.backend.postgresql.database import LoggingCursor as Cursor
        else:
            return
        timed(Cursor, "execute", None, on_execute)


def create_invoices(config, books, party_id: int, count: int, run: str) -> list[int]:
    """count posted supplier invoices of 3 lines at 20 %, unpaid, without a file: built as
    the client's on_change would, saved and posted in batches, straight in trytond."""
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME
    from trytond.transaction import Transaction, TransactionError

    today = dt.date.today()

    def create(numbers: range) -> list[int]:
        pool = Pool()
        Invoice = pool.get("account.invoice")
        Line = pool.get("account.invoice.line")
        expense = pool.get("account.account")(books.accounts["expense"].id)
        vat20 = pool.get("account.tax")(books.taxes["vat20"].id)
        company = pool.get("company.company")(books.company.id)
        invoices = []
        for n in numbers:
            # The company first: the party's accounts depend on it.
            invoice = Invoice(company=company, currency=company.currency, type="in",
                              party=party_id, invoice_date=today,
                              reference=f"BENCH-{run}-{n:05d}")
            invoice.on_change_type()
            invoice.lines = [
                Line(type="line", account=expense, description=description,
                     quantity=quantity, unit_price=Decimal(price), taxes=[vat20])
                for quantity, price, description in LINES]
            invoices.append(invoice)
        Invoice.save(invoices)
        Invoice.post(invoices)
        return [i.id for i in invoices]

    ids: list[int] = []
    # One invoice first: posting locks records (sequences) that the transaction must be
    # started with; trytond says which by failing, and the batches that follow know them.
    batches = [range(0, 1)] + [range(first, min(first + BATCH, count))
                               for first in range(1, count, BATCH)]
    extras: dict = {}
    started = time.perf_counter()
    for numbers in batches:
        while True:  # as trytond's RPC does: retry with what the transaction lacked
            with Transaction().start(DB_NAME, config.user, context=config.context,
                                     **extras) as transaction:
                try:
                    with transaction.set_context(_skip_warnings=True):
                        created = create(numbers)
                except TransactionError as error:
                    transaction.rollback()
                    error.fix(extras)
                    continue
                transaction.commit()
            break
        ids.extend(created)
        progress(f"{len(ids)}/{count} invoices created and posted "
                 f"({time.perf_counter() - started:.0f} s)")
    return ids


def call_name(method: str, address: str, headers: dict) -> str:
    """A KashFlow call's name: its SOAP operation, or its REST method and path with the
    numbers and tokens taken out (POST /purchases, GET /purchases/N)."""
    action = headers.get("SOAPAction")
    if action:
        return action.strip('"').rpartition("/")[2]
    path = urlsplit(address).path.partition("/v2")[2]
    return f"{method} " + "/".join(
        "N" if any(c.isdigit() for c in part) else part for part in path.split("/"))


def check_outcome(config, ids: list[int]) -> tuple[Counter, Counter]:
    "The publications' states and the log rows (action, outcome) of the invoices"
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME
    from trytond.transaction import Transaction

    with Transaction().start(DB_NAME, 0, context=config.context, readonly=True):
        pool = Pool()
        Publication = pool.get("kashflow.publication")
        Log = pool.get("kashflow.publication.log")
        states = Counter(p.state for p in Publication.search([("invoice", "in", ids)]))
        logs = Counter((log.action, log.outcome)
                       for log in Log.search([("invoice", "in", ids)]))
    return states, logs


def publish_run(config, kashflow, books, meter: Meter, party_id: int, count: int,
                latency_ms: int, profile: str | None, api: str) -> dict[str, float]:
    """Publish count new documents over api; the figures of the side-by-side summary."""
    from proteus import Model
    from trytond.tests.tools import set_user

    print(f"\n== {count} documents over {API_NAMES[api]}, {latency_ms} ms latency on every "
          "KashFlow call")
    set_user(1)
    started = time.perf_counter()
    ids = create_invoices(config, books, party_id, count, f"{api}-{count}-{latency_ms}")
    setup = time.perf_counter() - started
    print(f"set-up: {count} posted invoices       {setup:8.2f} s  "
          f"({setup / count * 1000:.1f} ms per invoice, not part of the figures below)")
    receipts_before = len(kashflow.account(USERNAME)["receipts"])

    set_user(books.users.publisher)
    Invoice = Model.get("account.invoice")
    invoices = [Invoice(i) for i in ids]
    kashflow.delay_every_call(latency_ms)
    meter.reset()
    meter.total = count
    rss_before = peak_rss_mb()
    profiler = None
    if profile:
        import cProfile
        # The thread's CPU time: on a busy machine, wall time would blame
        # whatever ran when another process took the core.
        profiler = cProfile.Profile(time.thread_time)
    meter.recording = True
    started, cpu_started = time.perf_counter(), time.thread_time()
    try:
        if profiler:
            profiler.enable()
        Invoice.click(invoices, "kashflow_publish")
    finally:
        if profiler:
            profiler.disable()
        meter.wall["click"] = time.perf_counter() - started
        meter.cpu["click"] = time.thread_time() - cpu_started
        meter.recording = False
        kashflow.clear_faults()
    set_user(1)

    states, logs = check_outcome(config, ids)
    receipts = len(kashflow.account(USERNAME)["receipts"]) - receipts_before
    calls = sum(meter.calls.values())
    logged = sum(n for (action, _), n in logs.items()
                 if action in {"send", "lookup", "create_partner", "payment", "attachment",
                               "credit"})
    wall = meter.wall["click"]

    def parts(times: Counter) -> dict[str, float]:
        own = times["click"] - times["http"]
        task = times["task"] - times["http"]
        zeep = times["client"] - times["http"]
        return {
            "own": own,
            "check": times["check"],
            "queue": times["queue"],
            # proteus' RPC, access checks, running the queued tasks
            "other": times["click"] - times["task"] - times["check"] - times["queue"],
            "task": task,
            "prepare": times["prepare"],
            "client_init": times["client_init"],
            "zeep": zeep,
            "rest": task - times["prepare"] - times["client_init"] - zeep,
        }

    walls, cpus = parts(meter.wall), parts(meter.cpu)

    def ms(name: str) -> str:
        return (f"{walls[name] / count * 1000:8.2f} {cpus[name] / count * 1000:8.2f}"
                "  ms/doc")

    print(f"published                            {states.get('published', 0):8d}   "
          f"(publications: {dict(states)}; new receipts in the mock: {receipts})")
    print(f"Publish click, wall time             {wall:8.2f} s")
    print(f"documents per second                 {count / wall:8.1f}")
    print(f"KashFlow calls per document          {calls / count:8.2f}   "
          f"({', '.join(f'{op} {n}' for op, n in meter.calls.most_common())}; "
          f"logged calls {logged / count:.2f}/doc: "
          f"{', '.join(f'{a} {o} {n}' for (a, o), n in logs.most_common())})")
    print(f"time inside HTTP calls               {meter.wall['http'] / count * 1000:8.2f}"
          f"           ms/doc  ({meter.wall['http'] / max(calls, 1) * 1000:.1f} ms per call)")
    print("                                         wall      CPU  (CPU: the publishing thread)")
    print(f"ERP's own time, no network           {ms('own')}  (the click less HTTP; "
          f"goal: CPU <= {GOALS['cpu_ms']} ms/doc)")
    print(f"  Publish button: checks (prepare)   {ms('check')}")
    print(f"  Publish button: publications, queue{ms('queue')}")
    print(f"  RPC, queue task, other             {ms('other')}")
    print(f"  publishing tasks, less HTTP        {ms('task')}")
    print(f"    reading the invoices (prepare)   {ms('prepare')}")
    print(f"    building KashFlow clients (WSDL) {ms('client_init')}  "
          f"({meter.clients} clients)")
    print(f"    client calls less HTTP (zeep)    {ms('zeep')}")
    print(f"    the rest (records, log, commits) {ms('rest')}")
    print(f"database commits per document        {meter.commits / count:8.2f}   "
          f"(goal <= {GOALS['commits']})")
    if meter.statements:
        print(f"SQL statements per document          {meter.statements / count:8.1f}   "
              f"(goal <= {GOALS['statements']})")
    print(f"peak RSS of the process              {peak_rss_mb():8.0f} MiB   "
          f"({rss_before:.0f} MiB before publishing; mock server and set-up included)")
    figures = {"published": states.get("published", 0), "per_second": count / wall,
               "calls": calls / count, "cpu_ms": cpus["own"] / count * 1000,
               "commits": meter.commits / count,
               "statements": meter.statements / count}
    if profiler:
        import pstats
        profiler.dump_stats(profile)
        print(f"cProfile statistics written to {profile}; hot spots:")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(15)
        stats.sort_stats("cumulative").print_stats(40)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="publish 100 documents only")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--protocol", choices=["soap", "rest", "both"], default="both",
                        help="KashFlow's API to publish over (both: one after the other, "
                        "the figures side by side)")
    parser.add_argument("--paid", action="store_true",
                        help="publish the documents as paid (the supplier's rule)")
    parser.add_argument("--no-compare", action="store_true",
                        help="untick the connection's Compare After Publishing (no read-back)")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the largest run's Publish click into FILE")
    args = parser.parse_args()
    sizes = [100] if args.quick else args.sizes
    apis = ["soap", "rest"] if args.protocol == "both" else [args.protocol]

    # The books the module's scenarios start from too: demo/books.py.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "demo"))
    from books import connect, make_books, set_up_books

    from mock_kashflow import MockKashFlow
    kashflow = MockKashFlow()
    key = kashflow.create_account(USERNAME, PASSWORD)

    from trytond.tests.test_tryton import drop_db
    from trytond.tests.tools import activate_modules, set_user
    started = time.perf_counter()
    progress("activating dext_kashflow")
    config = activate_modules("dext_kashflow", make_books)
    print(f"module activated                     {time.perf_counter() - started:8.2f} s  "
          f"(DB_CACHE={os.environ.get('DB_CACHE') or 'unset'})")

    started = time.perf_counter()
    progress("setting up the books and connecting to the mock")
    books = set_up_books(kashflow, USERNAME, PASSWORD, key)
    from proteus import Model
    party = Model.get("party.party")(name=SUPPLIER)
    party.save()
    set_user(books.users.admin)
    books.connection.click("refresh")
    books.connection.reload()
    books.connection.compare_after_publishing = not args.no_compare
    books.connection.save()
    if args.paid:
        publish_as_paid(party)
    set_user(1)
    reads = 0 if args.no_compare else 1
    print(f"compare after publishing             {'no' if args.no_compare else 'yes':>8}")
    print(f"published as paid                    {'yes' if args.paid else 'no':>8}   "
          f"(goals, KashFlow calls per document: SOAP {1 + args.paid + reads:.1f}, "
          f"REST {1 + reads:.1f}: its payment rides with the document)")
    print(f"books set up, connected, refreshed   {time.perf_counter() - started:8.2f} s")

    meter = Meter()
    meter.install()
    results: dict[tuple[int, str], dict[str, float]] = {}
    for count in sizes:
        for api in apis:
            if api != books.connection.protocol:
                # The same connection, its lists and mappings kept (as a firm would switch).
                set_user(books.users.admin)
                connect(books.connection, kashflow, USERNAME, PASSWORD, key, api)
                set_user(1)
            results[count, api] = publish_run(
                config, kashflow, books, meter, party.id, count, args.latency_ms,
                args.profile if count == max(sizes) and api == apis[-1] else None, api)
    print_side_by_side(results, apis, {"soap": 1 + args.paid + reads, "rest": 1 + reads})
    drop_db()
    kashflow.stop()


def publish_as_paid(party) -> None:
    """The supplier's rule: its documents go to KashFlow as paid, by BACS from the first
    bank account."""
    from proteus import Model
    Rule = Model.get("kashflow.partner_rule")
    rule = Rule(party=party, kind="supplier", paid=True)
    rule.payment_method, = Model.get("kashflow.payment_method").find([
        ("kind", "=", "receipt"), ("name", "=", "BACS")])
    rule.bank_account = Model.get("kashflow.bank_account").find([])[0]
    rule.save()


def print_side_by_side(results: dict[tuple[int, str], dict[str, float]], apis: list[str],
                       calls_goals: dict[str, int]) -> None:
    if len(apis) < 2:
        return
    print("\n== side by side" + " " * 22 + "".join(
        f"{f'{count} {API_NAMES[api]}':>12}" for count, api in results))
    rows = [("published", "published", "{:12.0f}"),
            ("documents per second", "per_second", "{:12.1f}"),
            ("KashFlow calls per document", "calls", "{:12.2f}"),
            ("ERP CPU ms per document", "cpu_ms", "{:12.2f}"),
            ("commits per document", "commits", "{:12.2f}"),
            ("SQL statements per document", "statements", "{:12.1f}")]
    for label, key, layout in rows:
        print(f"{label:<37}" + "".join(layout.format(r[key]) for r in results.values()))
    print(f"(goals, KashFlow calls per document: SOAP {calls_goals['soap']:.1f}, REST "
          f"{calls_goals['rest']:.1f}, its login amortised over the batch)")


if __name__ == "__main__":
    main()
