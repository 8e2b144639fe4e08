"""The README's main command, for real: `bash scripts/run` sets up and starts the product.

One slow test (a minute on a new machine: the demo database is made from scratch; the web
client comes from scripts/sao's cache after its first download). It runs the real script on
free ports with its own state folder (DEXT_VAR), then checks what a person would: the web
client is served, the administrator logs in over JSON-RPC, the demo invoices are there, the mock
KashFlow answers once AutoAuthIP let us in, the queue worker, the scheduler and PostgreSQL run
beside the server, each with its log, and SIGINT stops every process it started.
(tests/test_run_product_background.py shows the worker and the scheduler at work.)

The product is the session's (tests/product.py, the `product` fixture of tests/conftest.py),
shared with the browser tests: the database is made once. A test that needs it after this one
gets it started again.
"""

from __future__ import annotations

import base64
import configparser
import json
import signal
import socket
import time
from typing import Any

import pytest
import requests
from product import Product, processes_mentioning, rpc
from rawsoap import KF, call


def test_run_starts_the_product_and_sigint_stops_it(product: Product) -> None:
    started = time.monotonic()
    product.wait_until_running()
    print(f"scripts/run was ready after {time.monotonic() - started:.0f} s more")

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
    # A bill in dollars, one in euros and a sale in euros, posted.
    assert count("account.invoice", [("currency.code", "in", ["EUR", "USD"]),
                                     ("state", "=", "posted")]) == 3
    assert count("ir.attachment", [("resource", "like", "account.invoice,%")]) == 1
    company = rpc(db_rpc, "model.company.company.search_read", [], 0, None, None,
                  ["rec_name", "currency.code"], context, auth=auth)
    assert [(c["rec_name"], c["currency."]["code"]) for c in company] == [
        ("Demo Trading Ltd", "GBP")]

    # The mock KashFlow: its demo account lets an address in through AutoAuthIP. (Earlier
    # tests of the session may have connected already: start from an empty access list.)
    soap = product.printed("SOAP API").split()[0]
    assert soap == product.mock + "/api/service.asmx"
    username, password = product.printed("username"), product.printed("password")
    key = product.printed("AutoAuth key")
    assert requests.get(product.mock + "/", timeout=10).status_code in (200, 302)
    settings = f"{product.mock}/_mock/accounts/{username}/settings"
    access_list = product.mock_account(username)["access_list"]
    requests.patch(settings, json={"access_list": []}, timeout=10).raise_for_status()
    assert call(soap, "GetVATRates", username, password).status[0] == "NO"
    reply = call(soap, "AutoAuthIP", username, password,
                 f"<appName>Dext ERP</appName><AutoAuthKey>{key}</AutoAuthKey>")
    assert reply.ok, reply.status
    rates = call(soap, "GetVATRates", username, password)
    assert rates.ok, rates.status
    assert len(rates.find("GetVATRatesResult").findall(f"{{{KF}}}BasicDataset")) == 3
    requests.patch(settings, json={"access_list": access_list}, timeout=10).raise_for_status()

    # Beside the server: its queue worker and scheduler, and the private PostgreSQL.
    started_processes = product.started_processes()
    for program in ("bin/trytond ", "bin/trytond-worker ", "bin/trytond-cron ", "mock_kashflow",
                    "bin/postgres "):
        assert any(program in cmd for _, cmd in started_processes), (program, started_processes)
    config = configparser.ConfigParser()
    config.read(product.var / "trytond.conf")
    assert config.getboolean("queue", "worker")  # queued tasks wait for the worker
    assert config["database"]["uri"].startswith("postgresql://")
    assert config["database"]["uri"].endswith(f"@127.0.0.1:{product.postgres_port}/")
    for log in ("trytond.log", "trytond-worker.log", "trytond-cron.log", "postgresql.log",
                "mock-kashflow.log"):
        assert (product.var / "log" / log).stat().st_size > 0, log
    # The scheduler ran the module's jobs (at its start: they had never run) without an error.
    cron_log = product.var / "log" / "trytond-cron.log"
    deadline = time.monotonic() + 90
    for job in ("kashflow.connection|refresh_all", "account.invoice|kashflow_retry_due"):
        while f"{job}> in " not in cron_log.read_text():
            assert time.monotonic() < deadline, f"{job} not run:\n{cron_log.read_text()}"
            time.sleep(1)
        assert f"{job}> failed" not in cron_log.read_text()

    # Ctrl-C: everything it started stops, nothing is left behind.
    product.process.send_signal(signal.SIGINT)
    assert product.process.wait(30) == 0
    assert "Stopped." in product.text()
    assert product.started_processes() == []
    assert processes_mentioning(str(product.var)) == []
    for url in (product.tryton + "/", product.mock + "/"):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", product.postgres_port), timeout=5).close()
