"""Publishing with N queue workers on PostgreSQL: documents per second for N = 1, 2, 4.

What runs, all real and each in a process of its own: a private PostgreSQL
(scripts/postgresql, on PGPORT, default 5442, in PGROOT, default /tmp/pg-bench-workers), the
mock KashFlow (real HTTP; every call answered after --latency-ms), trytond (JSON-RPC, for the
user's click) and N `trytond-worker -n 1` processes, configured as scripts/run and
docker-compose do it ([queue] worker = True).

Set-up, once per --docs and timed apart: a database with dext_kashflow activated and the demo
company (demo/create_demo.py), connected to the mock, its accounts and taxes mapped, and
--docs posted supplier invoices of 3 lines spread over the 5 demo suppliers, unpublished,
made in batches straight in trytond. It is kept as a template in the cluster (kept running
between runs with --keep; a larger --docs starts from the largest smaller template), and
every run starts from a copy of it and a fresh mock account.

A run: the publisher selects every invoice and runs Publish to KashFlow (the wizard for a
selection, over JSON-RPC), which queues the work; the workers publish it. Progress is shown
while the queue drains. Printed, for each N side by side: documents per second (from the
click to the last document published), the click's own time, KashFlow calls per document
(counted by the mock), the CPU time per document of trytond, the workers, PostgreSQL and
the mock (what bounds the rate once the cores are busy), and the peak memory (VmHWM) of
each process.

--faults 0.1 adds random faults from the mock's fault API to that share of the calls
(a timeout, a dropped connection after the write, a server error, an error page, "too many
requests", one fifth each), with short retry delays and late-write margin; at the end the
bench checks and prints: exactly --docs documents in the mock, no reference twice, every
invoice carrying its KashFlow number.

Each N runs twice by default: with the connection's "Compare After Publishing" (a read-back
of each document: two calls per document) and without it (one); --compare on|off runs one.

Run: .venv/bin/python bench/workers.py [--docs 2000] [--workers 1 2 4] [--latency-ms 100]
     [--compare both] [--faults 0.1] [--keep] [--fresh]
Asserts nothing; exits 1 when a check of --faults fails.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VAR = REPO / "var" / "bench-workers"
USERNAME, PASSWORD = "bench@example.com", "Bench-Workers-1"
SUPPLIERS = ["BT Business", "Office Supplies Direct", "Greenway Property Lettings",
             "Northern Power & Gas", "Rail & Hotel Travel Ltd"]
LINES = [(1, "12.50", "Calls"), (2, "7.25", "Line rental"), (1, "30.00", "Broadband")]
BATCH = 50  # invoices made and posted per transaction
TIMEOUT = 5  # [dext_kashflow] timeout: a "timeout" fault answers after it
FAULT_KINDS = ["delay", "drop_after_write", "error_before", "http_500", "rate_limit"]


def say(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# PostgreSQL --------------------------------------------------------------------------

PG_ENV = {"PGPORT": os.environ.get("PGPORT", "5442"),
          "PGROOT": os.environ.get("PGROOT", "/tmp/pg-bench-workers")}


def start_postgresql() -> str:
    env = {**os.environ, **PG_ENV}
    return subprocess.run(["bash", str(REPO / "scripts" / "postgresql"), "start"], env=env,
                          check=True, capture_output=True, text=True).stdout.strip()


def stop_postgresql() -> None:
    env = {**os.environ, **PG_ENV}
    subprocess.run(["bash", str(REPO / "scripts" / "postgresql"), "stop"], env=env, check=True)


def admin_sql(uri: str, statement: sql.Composable) -> None:
    with psycopg.connect(uri + "postgres", autocommit=True) as connection:
        connection.execute(statement)


def has_database(uri: str, name: str) -> bool:
    with psycopg.connect(uri + "postgres", autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone() is not None


# The mock KashFlow -------------------------------------------------------------------

class Mock:
    "The mock in a process of its own (its work is not the ERP's), driven by its control API"

    def __init__(self, log: Path, port: int) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "python"), "-m", "mock_kashflow", "--host", "127.0.0.1", "--port",
             str(port)],
            stdout=subprocess.PIPE, stderr=log.open("w"), text=True, cwd=REPO)
        first = self.process.stdout.readline()  # "Mock KashFlow on http://127.0.0.1:port"
        self.url = first.split()[-1]
        self.service_url = f"{self.url}/api/service.asmx"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.url}/_mock/{path}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def fresh_account(self) -> str:
        """A new demo account (the same ids every time: the mock numbers them from the
        start after a reset); any caller's address let in. Returns its AutoAuth key."""
        self.call("POST", "reset")
        key = self.call("POST", "accounts", {"username": USERNAME, "password": PASSWORD,
                                             "seed": "demo"})["autoauth_key"]
        self.call("PATCH", f"accounts/{USERNAME}/settings", {"restrict_ips": False})
        return key

    def faults(self, latency_ms: int, share: float) -> None:
        """Random faults on `share` of the calls, one kind in five each, then the latency
        on every call (a call a random fault spares meets the next fault in the list)."""
        self.call("DELETE", "faults")
        if share:
            each = 1 - (1 - share) ** (1 / len(FAULT_KINDS))
            for kind in FAULT_KINDS:
                self.call("POST", "faults", {
                    "operation": "*", "kind": kind, "times": 10**12, "chance": round(each, 6),
                    "delay_ms": (TIMEOUT + 1) * 1000 if kind == "delay" else 0})
        if latency_ms:
            self.call("POST", "faults", {"operation": "*", "kind": "delay",
                                         "delay_ms": latency_ms, "times": 10**12})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# trytond's configuration and processes -----------------------------------------------

def write_config(uri: str, mock: Mock, faults: float) -> Path:
    from cryptography.fernet import Fernet

    VAR.mkdir(parents=True, exist_ok=True)
    key_file = VAR / "secret-key"
    if not key_file.exists():  # the template's connection is encrypted with it
        key_file.write_text(Fernet.generate_key().decode() + "\n")
    retries = ("# Short waits: the retries of --faults happen within the run.\n"
               "late_write_margin = 2\nretry_delays = 2, 4, 8\nrate_limit_pause = 2\n"
               if faults else "")
    path = VAR / "trytond.conf"
    path.write_text(
        "[database]\n"
        f"uri = {uri}\n"
        f"path = {VAR / 'filestore'}\n"
        "language = en\n"
        "\n[queue]\n"
        "worker = True\n"
        "\n[dext_kashflow]\n"
        f"url = {mock.service_url}\n"
        f"secret_keys = {key_file.read_text().strip()}\n"
        f"timeout = {TIMEOUT}\n" + retries)
    return path


def tryton_env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRYTOND_") and k not in ("DB_NAME", "DB_CACHE")}
    env["TRYTOND_CONFIG"] = str(config)
    return env


def templates(uri: str) -> dict[int, str]:
    "The templates in the cluster, by their number of invoices"
    with psycopg.connect(uri + "postgres", autocommit=True) as connection:
        names = [r[0] for r in connection.execute(
            "SELECT datname FROM pg_database WHERE datname ~ '^bench_workers_[0-9]+$'")]
    return {int(n.rsplit("_", 1)[1]): n for n in names}


def make_template(uri: str, config: Path, mock: Mock, docs: int) -> str:
    """The database every run copies: module, demo company, connection, invoices. Made from
    a template with fewer invoices when there is one (more invoices are added to it)."""
    env = tryton_env(config)
    log = (VAR / "setup.log").open("a")
    name = f"bench_workers_{docs}"
    if has_database(uri, name):
        admin_sql(uri, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    smaller = max((n for n in templates(uri) if n < docs), default=None)
    started = time.perf_counter()
    if smaller is not None:
        admin_sql(uri, sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(f"bench_workers_{smaller}")))
    else:
        admin_sql(uri, sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING UTF8")
                  .format(sql.Identifier(name)))
        logins = VAR / "logins.json"
        logins.write_text(json.dumps({"admin": "bench-admin-1", "user": "bench-user-1"}))
        passfile = VAR / "admin-password"
        passfile.write_text("bench-admin-1\n")
        say("activating dext_kashflow (a few minutes)")
        subprocess.run([str(BIN / "trytond-admin"), "-c", str(config), "-d", name, "--all",
                        "-u", "dext_kashflow", "--activate-dependencies",
                        "--email", "admin@bench.example"],
                       env={**env, "TRYTONPASSFILE": str(passfile)}, stdout=log, stderr=log,
                       check=True)
        say("the demo company")
        subprocess.run([str(BIN / "python"), str(REPO / "demo" / "create_demo.py"),
                        "--config", str(config), "--database", name, "--logins",
                        str(logins)], env=env, stdout=log, stderr=log, check=True)
        print(f"set-up: module and demo company          "
              f"{time.perf_counter() - started:8.1f} s")
    started = time.perf_counter()
    key = mock.fresh_account()
    subprocess.run([str(BIN / "python"), __file__, "--_fill", name, "--docs", str(docs),
                    "--_from", str(smaller or 0), "--_key", key], env=env, check=True)
    print(f"set-up: {docs - (smaller or 0)} posted invoices made"
          f"{' (and connected)' if smaller is None else ''}  "
          f"{time.perf_counter() - started:8.1f} s  (kept, copied for each run)")
    return name


def fill(name: str, first: int, docs: int, key: str) -> None:
    """In a process of its own (the template must have no session left): connect the
    company to the mock and map (when first is 0), and make the posted invoices from
    number first to docs, in batches."""
    from decimal import Decimal

    import trytond.config as tconfig
    from proteus import Model, Wizard
    from proteus import config as pconfig
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    pconfig.set_trytond(database=name)  # reads TRYTOND_CONFIG
    # Here the refresh the button queues runs at once, in this process.
    tconfig.set("queue", "worker", "False")
    if not first:
        Connection = Model.get("kashflow.connection")
        connection = Connection(url=tconfig.get("dext_kashflow", "url"))
        connection.save()
        connect = Wizard("kashflow.connection.connect", [connection])
        connect.form.confirmed = True
        connect.execute("check_steps")
        connect.form.username, connect.form.password = USERNAME, PASSWORD
        connect.form.autoauth_secret = key
        connect.execute("connect")
        connect.execute("end")
        connection.click("refresh")
        connection.click("suggest_mappings")
    parties = {p.name: p.id for p in Model.get("party.party").find(
        [("name", "in", SUPPLIERS)])}
    account = Model.get("account.account").find([("code", "=", "7502")])[0].id
    tax = Model.get("account.tax").find([("name", "=", "Standard 20% (purchases)")])[0].id
    company = Model.get("company.company").find([])[0].id
    user = Model.get("res.user").find([("login", "=", "admin")])[0].id
    today = dt.date.today()

    def create(numbers: range) -> None:
        pool = Pool()
        Invoice = pool.get("account.invoice")
        Line = pool.get("account.invoice.line")
        invoices = []
        for n in numbers:
            invoice = Invoice(company=company, type="in", invoice_date=today,
                              party=parties[SUPPLIERS[n % len(SUPPLIERS)]],
                              reference=f"BENCH-{n:05d}")
            invoice.on_change_type()
            invoice.on_change_party()
            invoice.lines = [Line(type="line", account=account, description=description,
                                  quantity=quantity, unit_price=Decimal(price), taxes=[tax])
                             for quantity, price, description in LINES]
            invoices.append(invoice)
        Invoice.save(invoices)
        Invoice.post(invoices)

    # The first invoice alone: posting locks records (sequences) the transaction must be
    # started with; trytond says which by failing, and the batches after know them.
    batches = [range(first, first + 1)] + [range(n, min(n + BATCH, docs))
                                           for n in range(first + 1, docs, BATCH)]
    extras: dict = {}
    started = time.perf_counter()
    for numbers in batches:
        while True:
            with Transaction().start(name, user, context={"company": company},
                                     **extras) as transaction:
                try:
                    with transaction.set_context(_skip_warnings=True):
                        create(numbers)
                except TransactionError as error:
                    transaction.rollback()
                    error.fix(extras)
                    continue
                transaction.commit()
            break
        if numbers.stop % 500 < BATCH:
            say(f"{numbers.stop - first}/{docs - first} invoices made and posted "
                f"({time.perf_counter() - started:.0f} s)")
    # Posting queued each invoice's PDF (its report cache), which a run's workers would
    # print alongside the publishing: not what is measured.
    with Transaction().start(name, 0) as transaction:
        Queue = Pool().get("ir.queue")
        Queue.delete(Queue.search([("finished_at", "=", None)]))
        transaction.commit()


class Processes:
    "trytond and the workers, each with its log; stopped together"

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, label: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (VAR / f"{label}.log").open("w")
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.running.append((label, process))
        return process

    def cpu(self) -> dict[str, float]:
        "CPU seconds used so far, by kind of process"
        used: dict[str, float] = {}
        for label, process in self.running:
            kind = label.rstrip("0123456789-")
            used[kind] = used.get(kind, 0.0) + tree_cpu(process.pid)
        return used

    def peak_memory(self) -> dict[str, list[float]]:
        "VmHWM (MiB) of each process and its children, by label"
        peaks: dict[str, list[float]] = {}
        for label, process in self.running:
            for pid, role in [(process.pid, "")] + [(c, " (child)") for c in children(
                    process.pid)]:
                kind = label.rstrip("0123456789-") + role
                peaks.setdefault(kind, []).append(vm_hwm(pid))
        return peaks

    def stop(self) -> None:
        for _, process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running.clear()


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def vm_hwm(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children, those alive and those it reaped (as
    PostgreSQL's backends)"""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(tree_cpu(child) for child in children(pid))


def postgresql_pid() -> int:
    return int((Path(PG_ENV["PGROOT"]) / "data" / "postmaster.pid").read_text().split()[0])


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for p in [pid, *children(pid)]:
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
    return total


def wait_idle(pids: list[int], what: str) -> None:
    "Wait until the processes have loaded (their CPU use stops growing)"
    started, last, quiet = time.monotonic(), cpu_ticks(pids), 0
    while quiet < 2 and time.monotonic() - started < 180:
        time.sleep(1)
        now = cpu_ticks(pids)
        quiet = quiet + 1 if now - last < 10 else 0
        last = now
    say(f"{what} ready after {time.monotonic() - started:.0f} s")


# JSON-RPC, as the web client calls trytond --------------------------------------------

@dataclass
class Session:
    url: str
    login: str
    auth: str = ""
    context: dict[str, Any] = field(default_factory=dict)

    def call(self, method: str, *params: Any) -> Any:
        headers = {"Authorization": f"Session {self.auth}"} if self.auth else {}
        reply = requests.post(self.url, json={"id": 1, "method": method, "params": params},
                              headers=headers, timeout=600).json()
        if reply.get("error"):
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def log_in(self, password: str) -> Session:
        user_id, session, *_ = self.call("common.db.login", self.login,
                                         {"password": password}, "en")
        self.auth = base64.b64encode(f"{self.login}:{user_id}:{session}".encode()).decode()
        self.context = self.call("model.res.user.get_preferences", True, {})
        return self


def wait_for_http(url: str, process: subprocess.Popen) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"trytond stopped; see {VAR / 'trytond.log'}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError("trytond did not answer")


# One run ----------------------------------------------------------------------------

@dataclass
class Result:
    workers: int
    docs: int
    compare: bool = True  # the connection reads each document back after publishing
    click: float = 0.0
    elapsed: float = 0.0
    calls: Counter = field(default_factory=Counter)
    memory: dict[str, list[float]] = field(default_factory=dict)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    load: float = 0.0  # the machine's load average (1 minute) as the click started
    cpu: dict[str, float] = field(default_factory=dict)  # seconds, by process kind

    @property
    def label(self) -> str:
        "The run's column: N=4, and N=4 -cmp without the comparison after publishing"
        return f"N={self.workers}" + ("" if self.compare else " -cmp")


def states(database: psycopg.Connection) -> tuple[Counter, int, dt.datetime | None]:
    "The publications by state, the kashflow tasks not finished, the last publication time"
    rows = database.execute("SELECT state, count(*), max(published_at) FROM "
                            "kashflow_publication GROUP BY state").fetchall()
    pending = database.execute("SELECT count(*) FROM ir_queue WHERE name = 'kashflow' "
                               "AND finished_at IS NULL").fetchone()[0]
    last = max((r[2] for r in rows if r[2]), default=None)
    return Counter({r[0]: r[1] for r in rows}), pending, last


def run(uri: str, config: Path, mock: Mock, template: str, workers: int, docs: int,
        latency_ms: int, faults: float, compare: bool) -> Result:
    name = f"{template}_run"
    print(f"\n== {workers} worker{'s' if workers > 1 else ''}: {docs} documents, "
          f"{latency_ms} ms latency" + (f", {faults:.0%} random faults" if faults else "")
          + ("" if compare else ", not compared after publishing"))
    if has_database(uri, name):
        admin_sql(uri, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    admin_sql(uri, sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(template)))
    with psycopg.connect(uri + name, autocommit=True) as database:
        database.execute("UPDATE kashflow_connection SET compare_after_publishing = %s",
                         (compare,))
    mock.fresh_account()
    env = tryton_env(config)
    processes = Processes()
    result = Result(workers, docs, compare)
    try:
        port = free_port()
        server = processes.start("trytond", [str(BIN / "trytond"), "-c", str(config),
                                             "-d", name], {**env,
                                 "TRYTOND_WEB__LISTEN": f"127.0.0.1:{port}"})
        pids = [processes.start(f"worker-{i + 1}", [
            str(BIN / "trytond-worker"), "-c", str(config), "-d", name, "-n", "1"],
            env).pid for i in range(workers)]
        wait_for_http(f"http://127.0.0.1:{port}/", server)
        wait_idle(pids, f"{workers} worker{'s' if workers > 1 else ''}")
        user = Session(f"http://127.0.0.1:{port}/{name}/rpc/", "user").log_in("bench-user-1")
        ids = user.call("model.account.invoice.search",
                        [("reference", "like", "BENCH-%"), ("state", "=", "posted")],
                        0, None, None, user.context)
        assert len(ids) == docs, f"{len(ids)} invoices in the template, not {docs}"
        mock.faults(latency_ms, faults)
        mock.call("DELETE", "calls")
        context = {**user.context, "active_model": "account.invoice", "active_id": ids[0],
                   "active_ids": ids}
        result.load = os.getloadavg()[0]
        cpu_before = {**processes.cpu(), "mock KashFlow": tree_cpu(mock.process.pid),
                      "PostgreSQL": tree_cpu(postgresql_pid())}
        started = time.perf_counter()
        wall_started = dt.datetime.now()
        session_id, _, _ = user.call("wizard.kashflow.publish.create", context)
        answer = user.call("wizard.kashflow.publish.execute", session_id, {"start": {}},
                           "publish", context)
        result.click = time.perf_counter() - started
        queued = answer["view"]["defaults"].get("queued")
        say(f"Publish answered after {result.click:.1f} s: {queued} queued")
        with psycopg.connect(uri + name, autocommit=True) as database:
            shown, last, progress = 0.0, None, (-1, 0.0)
            while True:
                counts, pending, last = states(database)
                elapsed = time.perf_counter() - started
                if counts["published"] != progress[0]:
                    progress = (counts["published"], elapsed)
                if counts["published"] >= docs or (not pending and elapsed > 30):
                    break
                if elapsed - progress[1] > 120:
                    say("no document published for 2 minutes: stopped waiting")
                    break
                if elapsed - shown >= 5:
                    say(f"{elapsed:5.0f} s  published {counts['published']:5d}/{docs}  "
                        f"{dict(counts)}  tasks left {pending}")
                    shown = elapsed
                time.sleep(0.5)
            for failure, message, count in database.execute(
                    "SELECT failure, message, count(*) FROM kashflow_publication "
                    "WHERE state != 'published' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5"):
                say(f"not published: {count} {failure}: {message}")
            mock.call("DELETE", "faults")
            result.calls = Counter(mock.call("GET", "calls"))
            result.elapsed = ((last - wall_started).total_seconds() if last
                              else time.perf_counter() - started)
            cpu_after = {**processes.cpu(), "mock KashFlow": tree_cpu(mock.process.pid),
                         "PostgreSQL": tree_cpu(postgresql_pid())}
            result.cpu = {k: cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after}
            result.memory = processes.peak_memory()
            result.memory["mock KashFlow"] = [vm_hwm(mock.process.pid)]
            if faults:
                result.checks = check(database, mock, docs)
    finally:
        processes.stop()
    admin_sql(uri, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
              .format(sql.Identifier(name)))
    return result


def check(database: psycopg.Connection, mock: Mock, docs: int) -> list[tuple[str, bool]]:
    "What a bookkeeper would check after a run with faults"
    receipts = mock.call("GET", f"accounts/{USERNAME}")["receipts"]
    by_reference = Counter(r["CustomerReference"] for r in receipts)
    numbers = {r["CustomerReference"]: r["InvoiceNumber"] for r in receipts}
    rows = database.execute(
        "SELECT i.reference, p.state, p.kashflow_number FROM account_invoice i "
        "LEFT JOIN kashflow_publication p ON p.invoice = i.id "
        "WHERE i.reference LIKE 'BENCH-%'").fetchall()
    twice = [r for r, n in by_reference.items() if n > 1]
    wrong = [r for r, state, number in rows
             if state != "published" or number is None or numbers.get(r) != number]
    return [
        (f"documents in the mock: {len(receipts)} (expected {docs})", len(receipts) == docs),
        (f"references sent twice: {len(twice)} {twice[:5]}", not twice),
        (f"invoices without their KashFlow number: {len(wrong)} {wrong[:5]}", not wrong),
    ]


def report(results: list[Result], latency_ms: int, started_load: tuple[float, ...]) -> None:
    print(f"\n== Summary ({results[0].docs} documents, {latency_ms} ms per KashFlow call; "
          f"machine load average before the runs: "
          f"{', '.join(f'{x:.2f}' for x in started_load)}; {os.cpu_count()} cores)")
    columns = "".join(f"{r.label:>12}" for r in results)
    print(f"{'':38}{columns}")

    def row(label: str, values: list[str]) -> None:
        print(f"{label:38}" + "".join(f"{v:>12}" for v in values))

    row("documents per second", [f"{r.docs / r.elapsed:.1f}" for r in results])
    one = next((r for r in results if r.workers == 1 and r.compare), None)
    base = one.docs / one.elapsed if one else None
    if base:
        row("  gain over N=1 (linear: N)", [f"{r.docs / r.elapsed / base:.2f}"
                                            for r in results])
    row("  after the click: the workers alone", [f"{r.docs / (r.elapsed - r.click):.1f}"
                                                 for r in results])
    row("click to last published (s)", [f"{r.elapsed:.1f}" for r in results])
    row("  of which the Publish click (s)", [f"{r.click:.1f}" for r in results])
    row("KashFlow calls per document", [f"{sum(r.calls.values()) / r.docs:.3f}"
                                        for r in results])
    row("load average as the click started", [f"{r.load:.1f}" for r in results])
    for kind in ["trytond", "worker", "PostgreSQL", "mock KashFlow"]:
        row(f"CPU per document, {kind} (ms)", [f"{r.cpu.get(kind, 0) * 1000 / r.docs:.1f}"
                                                for r in results])
    row("  all, and share of the cores' time", [
        f"{sum(r.cpu.values()) * 1000 / r.docs:.0f} "
        f"{sum(r.cpu.values()) / (r.elapsed * (os.cpu_count() or 1)):.0%}" for r in results])
    kinds = sorted({k for r in results for k in r.memory})
    for kind in kinds:
        row(f"peak memory, {kind} (MiB)", [
            "-" if kind not in r.memory else
            f"{max(r.memory[kind]):.0f}" + (f" x{len(r.memory[kind])}"
                                            if len(r.memory[kind]) > 1 else "")
            for r in results])
    best = max((r for r in results if r.workers == 4 and r.compare),
               key=lambda r: r.docs / r.elapsed, default=None)
    if best:
        rate = best.docs / best.elapsed
        print(f"goal: >= 25 documents/s with 4 workers: {rate:.1f} "
              f"({'met' if rate >= 25 else 'NOT met'})" + (
                  f"; near-linear from 1 to 4: {rate / base:.2f} of 4" if base else ""))
    for r in results:
        print(f"calls {r.label}: " + ", ".join(f"{op} {n}" for op, n in r.calls.most_common()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--faults", type=float, default=0.0,
                        help="share of KashFlow calls that meet a random fault, e.g. 0.1")
    parser.add_argument("--compare", choices=["on", "off", "both"], default="both",
                        help="read each document back after publishing (the connection's "
                        "setting): runs each N with it on, off, or both")
    parser.add_argument("--keep", action="store_true",
                        help="leave PostgreSQL running, with the template, for the next run")
    parser.add_argument("--fresh", action="store_true", help="make the template again")
    parser.add_argument("--_fill", help=argparse.SUPPRESS)
    parser.add_argument("--_key", help=argparse.SUPPRESS)
    parser.add_argument("--_from", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._fill:
        fill(args._fill, args._from, args.docs, args._key)
        return 0

    load = os.getloadavg()
    say("starting PostgreSQL")
    uri = start_postgresql()
    VAR.mkdir(parents=True, exist_ok=True)
    # A fixed port: the template's connection keeps the mock's address.
    mock = Mock(VAR / "mock.log", int(os.environ.get("MOCK_PORT", "5451")))
    results: list[Result] = []
    failed = False
    try:
        config = write_config(uri, mock, args.faults)
        if args.fresh:
            for old in templates(uri).values():
                admin_sql(uri, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
                    sql.Identifier(old)))
        template = templates(uri).get(args.docs) or make_template(uri, config, mock,
                                                                  args.docs)
        settings = {"on": [True], "off": [False], "both": [True, False]}[args.compare]
        for workers, compare in ((w, c) for w in args.workers for c in settings):
            result = run(uri, config, mock, template, workers, args.docs, args.latency_ms,
                         args.faults, compare)
            results.append(result)
            print(f"documents per second {args.docs / result.elapsed:.1f}; "
                  f"the click {result.click:.1f} s; KashFlow calls per document "
                  f"{sum(result.calls.values()) / args.docs:.3f}")
            for text, ok in result.checks:
                print(f"  {'ok  ' if ok else 'FAIL'} {text}")
                failed |= not ok
        report(results, args.latency_ms, load)
    finally:
        mock.stop()
        if not args.keep:
            stop_postgresql()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
