"""A small company's books connected to a mock KashFlow account, through proteus: what the
module's publishing scenarios and the benchmarks start from (demo/create_demo.py makes the
fuller demo company of the running product).

make_books() makes the company, its chart, fiscal year, VAT and users; the scenarios pass it
to activate_modules, which makes them once and restores them from trytond's database cache.
set_up_books() then connects them to a mock account and maps accounts and taxes.

The scenarios import it through addons/dext_kashflow/tests/tools.py, the benchmarks directly
(bench/publish.py); it imports nothing of either.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

# (key, name, rate) of the UK VAT rates
TAXES = [
    ("vat20", "VAT 20%", ".20"),
    ("vat5", "VAT 5%", ".05"),
    ("zero", "VAT 0% zero rated", "0"),
    ("exempt", "VAT exempt", "0")]
# (key, login, groups) of the users
USERS = [
    ("admin", "kashflow_admin", ("KashFlow Administrator", "Accounting")),
    ("publisher", "publisher", ("KashFlow Publisher", "Accounting")),
    ("clerk", "clerk", ("Accounting",))]


def make_books(config: Any = None) -> None:
    """A GBP company with a chart, a fiscal year of today, UK VAT and users (config: what
    activate_modules passes, unused). The caller's own user (admin) creates and posts the
    documents and looks at everything, so it is a KashFlow administrator too."""
    from proteus import Model
    from trytond.modules.account.tests.tools import (
        create_chart,
        create_fiscalyear,
        create_tax,
    )
    from trytond.modules.account_invoice.tests.tools import set_fiscalyear_invoice_sequences
    from trytond.modules.company.tests.tools import create_company, get_company
    from trytond.modules.currency.tests.tools import get_currency

    create_company(currency=get_currency("GBP"))
    company = get_company()
    create_chart(company)
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(company, today=dt.date.today()))
    fiscalyear.click("create_period")

    for _, name, rate in TAXES:
        tax = create_tax(Decimal(rate), company)
        tax.name = tax.description = name
        tax.save()

    User = Model.get("res.user")
    Group = Model.get("res.group")
    Company = Model.get("company.company")
    for _, login, group_names in USERS:
        user = User(name=login, login=login)
        for group_name in group_names:
            group, = Group.find([("name", "=", group_name)])
            user.groups.append(group)
        user.companies.append(Company(company.id))
        user.company = Company(company.id)
        user.save()
    root = User(1)
    root.groups.append(Group.find([("name", "=", "KashFlow Administrator")])[0])
    root.save()


def set_up_books(kashflow: Any, username: str, password: str, key: str,
                 api: str = "soap") -> SimpleNamespace:
    """The books of make_books connected to the mock account (kashflow: a
    mock_kashflow.MockKashFlow) over its SOAP API or its REST API (api "rest": the
    memorable word is the account's), with accounts and taxes mapped.

    Returns, by name: company, accounts, taxes (vat20, vat5, zero, exempt), users (admin, a
    KashFlow administrator; publisher; clerk, accounting only), connection and nominals (the
    KashFlow nominal codes by number).
    """
    from proteus import Model
    from trytond.modules.account.tests.tools import get_accounts
    from trytond.modules.company.tests.tools import get_company
    from trytond.tests.tools import set_user

    company = get_company()
    accounts = get_accounts(company)
    Tax = Model.get("account.tax")
    taxes = {key_: Tax.find([("name", "=", name)])[0] for key_, name, _ in TAXES}
    User = Model.get("res.user")
    users = SimpleNamespace(**{
        key_: User.find([("login", "=", login)])[0] for key_, login, _ in USERS})

    set_user(users.admin)
    Connection = Model.get("kashflow.connection")
    connection = Connection(url=kashflow.service_url)
    connection.save()
    connect(connection, kashflow, username, password, key, api)

    Nominal = Model.get("kashflow.nominal")
    AccountMapping = Model.get("kashflow.account_mapping")
    nominals = {int(n.code): n for n in Nominal.find([])}
    for account, code in [(accounts["expense"], 7502), (accounts["revenue"], 4000)]:
        AccountMapping(connection=connection, account=account, nominal=nominals[code]).save()
    connection.click("suggest_mappings")
    set_user(1)
    return SimpleNamespace(company=company, accounts=accounts, taxes=taxes,
                           users=users, connection=connection, nominals=nominals)


def connect(connection: Any, kashflow: Any, username: str, password: str, key: str,
            api: str = "soap") -> None:
    """Run the Connect wizard on connection (a proteus record, the user a KashFlow
    administrator) for the mock account, over its SOAP or its REST API."""
    from proteus import Wizard

    wizard = Wizard("kashflow.connection.connect", [connection])
    wizard.form.protocol = api
    wizard.form.url = kashflow.rest_url if api == "rest" else kashflow.service_url
    wizard.form.confirmed = True
    wizard.execute("check_steps")
    wizard.form.username = username
    wizard.form.password = password
    if api == "rest":
        wizard.form.memorable_word_secret = (
            kashflow.account(username)["settings"]["memorable_word"])
    else:
        wizard.form.autoauth_secret = key
    wizard.execute("connect")
    wizard.execute("end")
    connection.reload()
