"""The README's main command, for real: `bash scripts/run` sets up and starts the product.

One slow test (a minute on a new machine: the demo database is made from scratch; the web
client comes from scripts/sao's cache after its first download). It runs the real script on
free ports with its own state folder (DEXT_VAR), then checks what a person would: the web
client is served, the administrator logs in over JSON-RPC, the demo invoices are there, the mock
KashFlow answers once AutoAuthIP let us in, and SIGINT stops every process it started.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from rawsoap import KF, call

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 600  # a new machine: venv, npm download, database creation


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


class Product:
    """A running `bash scripts/run` and what it printed."""

    def __init__(self, process: subprocess.Popen[bytes], output: Path, var: Path,
                 tryton_port: int, mock_port: int) -> None:
        self.process = process
        self.output = output
        self.var = var
        self.tryton = f"http://127.0.0.1:{tryton_port}"
        self.mock = f"http://127.0.0.1:{mock_port}"

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


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Product]:
    var = tmp_path / "var"
    tryton_port, mock_port = free_port(), free_port()
    env = {**os.environ, "DEXT_VAR": str(var), "TRYTON_PORT": str(tryton_port),
           "MOCK_PORT": str(mock_port)}
    for name in ("SAO_ROOT", "DEXT_DATABASE", "TRYTON_HOST", "MOCK_HOST"):
        env.pop(name, None)
    output = tmp_path / "run.out"
    with open(output, "wb") as out:
        process = subprocess.Popen(["bash", "scripts/run"], cwd=REPO, env=env,
                                   stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield Product(process, output, var, tryton_port, mock_port)
    finally:
        if process.poll() is None:  # the test failed before its SIGINT
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for pid, _cmdline in processes_mentioning(str(var)):  # only what this test started
            os.kill(pid, signal.SIGKILL)


def rpc(url: str, method: str, *params: Any, auth: str | None = None) -> Any:
    headers = {"Authorization": auth} if auth else {}
    response = requests.post(url, json={"id": 1, "method": method, "params": list(params)},
                             headers=headers, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "error" not in body or body["error"] is None, body
    return body["result"]


def test_run_starts_the_product_and_sigint_stops_it(product: Product) -> None:
    started = time.monotonic()
    product.wait_until_running()
    print(f"scripts/run was ready in {time.monotonic() - started:.0f} s")

    # The web client sao 8.0, served by trytond 8.0.
    page = requests.get(product.tryton + "/", timeout=10)
    assert page.status_code == 200 and "dist/tryton-sao.js" in page.text
    package = requests.get(product.tryton + "/package.json", timeout=10).json()
    assert package["version"].startswith("8.0.")
    assert rpc(product.tryton + "/rpc/", "common.server.version") == "8.0"
    assert rpc(product.tryton + "/rpc/", "common.db.list") == ["demo"]

    # The printed logins are the ones kept in var/; both users log in.
    logins = json.loads((product.var / "demo-logins.json").read_text())
    assert product.printed("administrator") == f"login: admin   password: {logins['admin']}"
    assert product.printed("plain user") == f"login: user    password: {logins['user']}"
    db_rpc = product.tryton + "/demo/rpc/"
    assert rpc(db_rpc, "common.db.login", "user", {"password": logins["user"]}, "en")
    uid, session, *_ = rpc(db_rpc, "common.db.login", "admin",
                           {"password": logins["admin"]}, "en")
    auth = "Session " + base64.b64encode(f"admin:{uid}:{session}".encode()).decode()
    context = rpc(db_rpc, "model.res.user.get_preferences", True, {}, auth=auth)

    def count(model: str, domain: list[Any]) -> int:
        return rpc(db_rpc, f"model.{model}.search_count", domain, context, auth=auth)

    assert count("account.invoice", []) >= 12
    assert count("account.invoice", [("type", "=", "in")]) >= 6
    assert count("account.invoice", [("type", "=", "out")]) >= 6
    assert count("account.invoice", [("state", "=", "posted")]) >= 6
    assert count("account.invoice", [("state", "=", "draft")]) >= 3
    assert count("account.invoice", [("total_amount", "<", 0)]) == 2  # the credit notes
    assert count("ir.attachment", [("resource", "like", "account.invoice,%")]) == 1
    company = rpc(db_rpc, "model.company.company.search_read", [], 0, None, None,
                  ["rec_name", "currency.code"], context, auth=auth)
    assert [(c["rec_name"], c["currency."]["code"]) for c in company] == [
        ("Demo Trading Ltd", "GBP")]

    # The mock KashFlow: its demo account lets an address in through AutoAuthIP.
    soap = product.printed("SOAP API").split()[0]
    assert soap == product.mock + "/api/service.asmx"
    username, password = product.printed("username"), product.printed("password")
    key = product.printed("AutoAuth key")
    assert requests.get(product.mock + "/", timeout=10).status_code in (200, 302)
    assert call(soap, "GetVATRates", username, password).status[0] == "NO"
    reply = call(soap, "AutoAuthIP", username, password,
                 f"<appName>Dext ERP</appName><AutoAuthKey>{key}</AutoAuthKey>")
    assert reply.ok, reply.status
    rates = call(soap, "GetVATRates", username, password)
    assert rates.ok, rates.status
    assert len(rates.find("GetVATRatesResult").findall(f"{{{KF}}}BasicDataset")) == 3

    # Ctrl-C: everything it started stops, nothing is left behind.
    started_processes = processes_mentioning(str(product.var))
    assert any("trytond" in cmd for _, cmd in started_processes), started_processes
    assert any("mock_kashflow" in cmd for _, cmd in started_processes), started_processes
    product.process.send_signal(signal.SIGINT)
    assert product.process.wait(30) == 0
    assert "Stopped." in product.text()
    assert processes_mentioning(str(product.var)) == []
    for url in (product.tryton + "/", product.mock + "/"):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
