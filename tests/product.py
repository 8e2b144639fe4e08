"""The running product for tests: `bash scripts/run` on free ports with its own state folder.

tests/conftest.py starts it once per test session (the `product` fixture) and every test that
needs it shares it: tests/test_run_product.py (which also stops it with Ctrl-C, then the next
test that asks for it starts it again, in a few seconds since the database is kept) and the
browser tests under tests/browser/.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from functools import cached_property
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 600  # a new machine: venv, npm download, database creation
DATABASE = "demo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    """Every live process whose command line contains text (here: the test's state folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append((int(entry.name), cmdline.strip()))
    return found


def rpc(url: str, method: str, *params: Any, auth: str | None = None) -> Any:
    """One JSON-RPC call to trytond; an error answer fails the test with its text."""
    headers = {"Authorization": auth} if auth else {}
    response = requests.post(url, json={"id": 1, "method": method, "params": list(params)},
                             headers=headers, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "error" not in body or body["error"] is None, body
    return body["result"]


def rpc_datetime(value: dict[str, Any] | None) -> dt.datetime | None:
    """A datetime as trytond's JSON-RPC sends it ({"__class__": "datetime", "year": ...})."""
    if value is None:
        return None
    return dt.datetime(value["year"], value["month"], value["day"], value["hour"],
                       value["minute"], value["second"], value.get("microsecond", 0))


class RpcError(Exception):
    """trytond answered with an error: .error is what it sent (["UserError", [...]]...)."""

    def __init__(self, error: Any) -> None:
        super().__init__(str(error))
        self.error = error


class TrytonSession:
    """A user logged in over JSON-RPC, to look at what the web client saved."""

    def __init__(self, base_url: str, login: str, password: str,
                 database: str = DATABASE) -> None:
        self.url = f"{base_url}/{database}/rpc/"
        uid, session, *_ = rpc(self.url, "common.db.login", login, {"password": password},
                               "en")
        self.auth = "Session " + base64.b64encode(f"{login}:{uid}:{session}".encode()).decode()
        self.context = rpc(self.url, "model.res.user.get_preferences", True, {},
                           auth=self.auth)

    def call(self, method: str, *params: Any, context: dict[str, Any] | None = None) -> Any:
        """model.<name>.<method> with the user's context (and context) added last; errors
        raise RpcError."""
        response = requests.post(self.url, timeout=60, headers={"Authorization": self.auth},
                                 json={"id": 1, "method": method,
                                       "params": [*params, {**self.context, **(context or {})}]})
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            raise RpcError(body["error"])
        return body["result"]

    def search_read(self, model: str, domain: list[Any], fields: list[str]) -> list[dict]:
        return self.call(f"model.{model}.search_read", domain, 0, None, None, fields)

    def search_count(self, model: str, domain: list[Any]) -> int:
        return self.call(f"model.{model}.search_count", domain)


class Product:
    """A running `bash scripts/run` and what it printed."""

    def __init__(self, process: subprocess.Popen[bytes], output: Path, var: Path,
                 tryton_port: int, mock_port: int, postgres_port: int) -> None:
        self.process = process
        self.output = output
        self.var = var
        self.tryton = f"http://127.0.0.1:{tryton_port}"
        self.mock = f"http://127.0.0.1:{mock_port}"
        self.postgres_port = postgres_port

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def printed(self, label: str) -> str:
        match = re.search(rf"^\s+{re.escape(label)}\s+(.+)$", self.text(), re.MULTILINE)
        assert match, f"{label!r} not printed:\n{self.text()}"
        return match.group(1).strip()

    def wait_until_running(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "is running" not in self.text():
            assert self.process.poll() is None, f"scripts/run ended:\n{self.text()}"
            assert time.monotonic() < deadline, f"not running after {STARTUP_TIMEOUT} s"
            time.sleep(0.5)

    def postgres_cluster(self) -> str | None:
        """The private PostgreSQL's folder, as printed (outside var/ when run as root)."""
        match = re.search(r"^\s+PostgreSQL\s+\S+\s+cluster: (.+)$", self.text(), re.MULTILINE)
        return match.group(1).strip() if match else None

    def started_processes(self) -> list[tuple[int, str]]:
        """What this run started and is still alive: the processes whose command line names
        its state folder or its PostgreSQL cluster."""
        found = processes_mentioning(str(self.var))
        cluster = self.postgres_cluster()
        if cluster:
            found += processes_mentioning(cluster)
        return found

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    @cached_property
    def logins(self) -> dict[str, str]:
        """The demo users' passwords: {"admin": ..., "user": ...}."""
        return json.loads((self.var / "demo-logins.json").read_text())

    @property
    def mock_service(self) -> str:
        """The mock KashFlow's SOAP endpoint: the default Service URL of a new connection."""
        return f"{self.mock}/api/service.asmx"

    def session(self, login: str) -> TrytonSession:
        return TrytonSession(self.tryton, login, self.logins[login])

    def mock_account(self, username: str = "demo") -> dict[str, Any]:
        return mock_account(self.mock, username)

    def connect_over_soap(self) -> None:
        """The Connect wizard over JSON-RPC, as the administrator: the company's connection
        (made or reconnected) on the mock's SOAP API with the demo account printed."""
        connect_over_soap(self.session("admin"), self.mock_service, {
            "username": self.printed("username"), "password": self.printed("password"),
            "autoauth_secret": self.printed("AutoAuth key")})

    def connection(self) -> dict[str, Any]:
        """The demo company's KashFlow connection, connected to the mock's demo account (by
        the Connect wizard over JSON-RPC, as the administrator, when no earlier test did it),
        its lists refreshed and its mappings suggested."""
        admin = self.session("admin")
        fields = ["state", "refresh_state", "refresh_summary", "last_refresh"]
        found = admin.search_read("kashflow.connection", [], ["id", *fields])
        if not (found and found[0]["state"] == "connected"):
            self.connect_over_soap()
        # Connecting queues a refresh of the lists: the mappings need them.
        deadline = time.monotonic() + 120
        while True:
            [connection] = admin.search_read("kashflow.connection", [], ["id", *fields])
            if connection["refresh_state"] not in (None, "refreshing"):
                break
            assert time.monotonic() < deadline, f"the lists are not refreshed: {connection}"
            time.sleep(1)
        assert connection["state"] == "connected", connection
        if not admin.search_count("kashflow.account_mapping", []):
            admin.call("model.kashflow.connection.suggest_mappings", [connection["id"]])
        return connection

    def inject_fault(self, operation: str, kind: str, times: int = 1,
                     delay_ms: int = 0) -> None:
        """Make the mock KashFlow's next calls of operation ("*": any) fail."""
        requests.post(f"{self.mock}/_mock/faults", timeout=10, json={
            "operation": operation, "kind": kind, "times": times, "delay_ms": delay_ms,
        }).raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(f"{self.mock}/_mock/faults", timeout=10).raise_for_status()

    def stop(self) -> None:
        """Ctrl-C, then kill what is left of what this run started."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for pid, _cmdline in self.started_processes():  # only what we started
            os.kill(pid, signal.SIGKILL)


class ProductRunner:
    """Starts `bash scripts/run` in folder (state in folder/var) on free ports, and starts it
    again, on the same ports and state, when a test stopped it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.var = folder / "var"
        self.tryton_port, self.mock_port = free_port(), free_port()
        self.postgres_port = free_port()
        self.product: Product | None = None
        self.starts = 0

    def start(self) -> Product:
        env = {**os.environ, "DEXT_VAR": str(self.var), "TRYTON_PORT": str(self.tryton_port),
               "MOCK_PORT": str(self.mock_port), "POSTGRES_PORT": str(self.postgres_port)}
        for name in ("SAO_ROOT", "DEXT_DATABASE", "TRYTON_HOST", "MOCK_HOST"):
            env.pop(name, None)
        self.starts += 1
        output = self.folder / f"run-{self.starts}.out"
        with open(output, "wb") as out:
            process = subprocess.Popen(["bash", "scripts/run"], cwd=REPO, env=env,
                                       stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.product = Product(process, output, self.var, self.tryton_port, self.mock_port,
                               self.postgres_port)
        return self.product

    def running(self) -> Product:
        """The product, started (and waited for) when it is not running."""
        if self.product is None or not self.product.running:
            if self.product is not None:
                self.product.stop()
            self.start()
        assert self.product is not None
        self.product.wait_until_running()
        return self.product

    def close(self) -> None:
        if self.product is not None:
            self.product.stop()
            # As root the cluster is kept outside the state folder: remove it with the rest.
            cluster = self.product.postgres_cluster()
            if cluster and not Path(cluster).is_relative_to(self.var):
                shutil.rmtree(cluster, ignore_errors=True)


def mock_account(mock_url: str, username: str) -> dict[str, Any]:
    """An account's whole state in the mock KashFlow (GET /_mock/accounts/<username>)."""
    response = requests.get(f"{mock_url}/_mock/accounts/{username}", timeout=10)
    response.raise_for_status()
    return response.json()


def connect_over_soap(admin: TrytonSession, service_url: str,
                      credentials: dict[str, str]) -> None:
    """The Connect wizard, step by step as the administrator clicks it: the company's
    connection (made or reconnected) on KashFlow's SOAP API at service_url, with credentials
    ({"username", "password", "autoauth_secret"})."""
    wizard = "wizard.kashflow.connection.connect"
    session_id, *_ = admin.call(f"{wizard}.create")
    start = {"protocol": "soap", "url": service_url, "confirmed": True}
    admin.call(f"{wizard}.execute", session_id, {}, "start")
    admin.call(f"{wizard}.execute", session_id, {"start": start}, "check_steps")
    admin.call(f"{wizard}.execute", session_id,
               {"start": start, "credentials": credentials}, "connect")
    admin.call(f"{wizard}.delete", session_id)


def new_supplier_invoice(user: TrytonSession, template: str = "BT-2291-0031") -> dict[str, Any]:
    """A posted supplier invoice of its own: a copy of the demo bill with reference template,
    dated today, with a new reference, so that no other test's invoice is touched. Its id and
    reference."""
    [found] = user.search_read("account.invoice", [("reference", "=", template)], ["id"])
    reference = f"BG-{uuid.uuid4().hex[:8].upper()}"
    today = dt.date.today()
    [copy] = user.call("model.account.invoice.copy", [found["id"]], {
        "reference": reference,
        "invoice_date": {"__class__": "date", "year": today.year, "month": today.month,
                         "day": today.day}})
    user.call("model.account.invoice.post", [copy])
    [invoice] = user.search_read("account.invoice", [("id", "=", copy)],
                                 ["id", "reference", "state"])
    assert invoice["state"] == "posted", invoice
    return invoice
