"""A small company's books connected to a mock KashFlow account, through proteus: what the
module's publishing scenarios and the benchmarks start from (demo/create_demo.py makes the
fuller demo company of the running product).

The scenarios import it through addons/dext_kashflow/tests/tools.py, the benchmarks directly
(bench/publish.py); it imports nothing of either.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any


def set_up_books(kashflow: Any, username: str, password: str, key: str) -> SimpleNamespace:
    """A GBP company with a chart, a fiscal year, UK VAT and users, connected to the mock
    account (kashflow: a mock_kashflow.MockKashFlow), with accounts and taxes mapped.

    Returns, by name: company, accounts, taxes (vat20, vat5, zero, exempt), users (admin, a
    KashFlow administrator; publisher; clerk, accounting only), connection and nominals (the
    KashFlow nominal codes by number). The caller's user is a KashFlow administrator too.
    """
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

    taxes = {}
    for key_, name, rate in [
            ("vat20", "VAT 20%", Decimal(".20")),
            ("vat5", "VAT 5%", Decimal(".05")),
            ("zero", "VAT 0% zero rated", Decimal(0)),
            ("exempt", "VAT exempt", Decimal(0))]:
        tax = create_tax(rate, company)
        tax.name = tax.description = name
        tax.save()
        taxes[key_] = tax

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

    # The caller's own user (admin) creates and posts the documents and looks at
    # everything, so it is a KashFlow administrator too.
    root = User(1)
    root.groups.append(Group.find([("name", "=", "KashFlow Administrator")])[0])
    root.save()
    users = SimpleNamespace(
        admin=new_user("kashflow_admin", "KashFlow Administrator", "Accounting"),
        publisher=new_user("publisher", "KashFlow Publisher", "Accounting"),
        clerk=new_user("clerk", "Accounting"))

    set_user(users.admin)
    Connection = Model.get("kashflow.connection")
    connection = Connection(url=kashflow.service_url)
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

    Nominal = Model.get("kashflow.nominal")
    AccountMapping = Model.get("kashflow.account_mapping")
    nominals = {int(n.code): n for n in Nominal.find([])}
    for account, code in [(accounts["expense"], 7502), (accounts["revenue"], 4000)]:
        AccountMapping(connection=connection, account=account, nominal=nominals[code]).save()
    connection.click("suggest_mappings")
    set_user(1)
    return SimpleNamespace(company=company, accounts=accounts, taxes=taxes,
                           users=users, connection=connection, nominals=nominals)
