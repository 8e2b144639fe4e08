"""What the benchmarks set up, apart from the tests: a mock KashFlow in this process with a
client for its control API, and a company's books connected to it.

The module's scenarios have their own helpers (addons/dext_kashflow/tests/tools.py); these are
the few a benchmark needs, so that a benchmark imports nothing from the tests.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import requests

from mock_kashflow import ThreadedMockServer

TIMEOUT = 10


class MockKashFlow:
    "A mock KashFlow server on a free port, and the control calls a benchmark makes"

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = ThreadedMockServer().start()
        self.url = self.server.url
        self.service_url = self.server.service_url

    def stop(self) -> None:
        self.server.stop()

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        response = requests.request(method, f"{self.url}/_mock/{path}", json=json,
                                    timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()

    def create_account(self, username: str, password: str, seed: str = "demo") -> str:
        "Create an account and return its AutoAuth key"
        return self._call("POST", "accounts", {
            "username": username, "password": password, "seed": seed})["autoauth_key"]

    def account(self, username: str) -> dict:
        return self._call("GET", f"accounts/{username}")

    def delay_every_call(self, latency_ms: int) -> None:
        "Every KashFlow call answered after latency_ms"
        if latency_ms > 0:
            self._call("POST", "faults", {"operation": "*", "kind": "delay",
                                          "delay_ms": latency_ms, "times": 1_000_000_000})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")


def set_up_books(kashflow: MockKashFlow, username: str, password: str,
                 key: str) -> SimpleNamespace:
    """A GBP company with a chart, a fiscal year, UK VAT 20 % and two users (a KashFlow
    administrator and a publisher), connected to the mock account, its expense account
    mapped to nominal 7502 and its taxes to KashFlow's rates."""
    from proteus import Model, Wizard
    from trytond.modules.account.tests.tools import (
        create_chart,
        create_fiscalyear,
        create_tax,
        get_accounts,
    )
    from trytond.modules.account_invoice.tests.tools import set_fiscalyear_invoice_sequences
    from trytond.modules.company.tests.tools import create_company, get_company
    from trytond.modules.currency.tests.tools import get_currency
    from trytond.tests.tools import set_user

    create_company(currency=get_currency("GBP"))
    company = get_company()
    create_chart(company)
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(company, today=dt.date.today()))
    fiscalyear.click("create_period")
    accounts = get_accounts(company)
    vat20 = create_tax(Decimal(".20"), company)
    vat20.name = vat20.description = "VAT 20%"
    vat20.save()

    User = Model.get("res.user")
    Group = Model.get("res.group")
    Company = Model.get("company.company")

    def new_user(login: str, *group_names: str) -> Any:
        user = User(name=login, login=login)
        for group_name in group_names:
            group, = Group.find([("name", "=", group_name)])
            user.groups.append(group)
        user.companies.append(Company(company.id))
        user.company = Company(company.id)
        user.save()
        return user

    # The benchmark's own user creates and posts the documents and reads the outcome.
    root = User(1)
    root.groups.append(Group.find([("name", "=", "KashFlow Administrator")])[0])
    root.save()
    users = SimpleNamespace(
        admin=new_user("kashflow_admin", "KashFlow Administrator", "Accounting"),
        publisher=new_user("publisher", "KashFlow Publisher", "Accounting"))

    set_user(users.admin)
    connection = Model.get("kashflow.connection")(url=kashflow.service_url)
    connection.save()
    connect = Wizard("kashflow.connection.connect", [connection])
    connect.form.confirmed = True
    connect.execute("check_steps")
    connect.form.username = username
    connect.form.password = password
    connect.form.autoauth_secret = key
    connect.execute("connect")
    connect.execute("end")
    connection.reload()
    nominal, = Model.get("kashflow.nominal").find([("code", "=", "7502")])
    Model.get("kashflow.account_mapping")(
        connection=connection, account=accounts["expense"], nominal=nominal).save()
    connection.click("suggest_mappings")
    set_user(1)
    return SimpleNamespace(company=company, accounts=accounts, taxes={"vat20": vat20},
                           users=users, connection=connection)
