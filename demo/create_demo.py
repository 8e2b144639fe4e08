"""Fill a new Tryton database with a small UK business, through proteus.

Usage: python demo/create_demo.py [--config var/trytond.conf] --database demo \
           --logins var/demo-logins.json

The database must already exist with dext_kashflow activated (scripts/run_product.py and
docker/init.sh do that with trytond-admin); without --config, trytond reads TRYTOND_CONFIG and
the TRYTOND_<SECTION>__<OPTION> variables. A database that has the company already is left
alone. This makes: the company "Demo Trading Ltd" in GBP, a small UK
chart of accounts (nominal codes as in KashFlow), a fiscal year with its periods and invoice
sequences, UK VAT (20%, 5%, 0% and exempt, for sales and purchases), payment terms, the
suppliers and customers of the mock KashFlow's demo account (same names, so that linking by
name works), products, supplier and customer invoices (draft and posted, two credit notes, one
with a PDF attached; a bill in dollars, one in euros and a sale in euros, at the rates of the
euro and the dollar the mock's demo account has), and the users "admin" and "user".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from proteus import Model, Wizard, config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pdf import tiny_pdf  # noqa: E402

COMPANY = "Demo Trading Ltd"
TODAY = dt.date.today()

# (code, name, kind): a UK-like chart, nominal codes as KashFlow's demo account has them.
# kind: receivable, payable, tax, cash, equity, revenue, expense.
CHART = [
    ("1100", "Trade Debtors", "receivable"),
    ("1200", "Bank Current Account", "cash"),
    ("1210", "Business Savings", "cash"),
    ("2100", "Trade Creditors", "payable"),
    ("2200", "Sales Tax Control Account", "tax"),
    ("2201", "Purchase Tax Control Account", "tax"),
    ("3000", "Share Capital", "equity"),
    ("3200", "Profit and Loss Account", "equity"),
    ("4000", "Sales", "revenue"),
    ("4001", "Sales - Services", "revenue"),
    ("4009", "Discounts", "revenue"),
    ("5000", "Purchases", "expense"),
    ("7100", "Rent", "expense"),
    ("7200", "Electricity", "expense"),
    ("7400", "Travel", "expense"),
    ("7502", "Telephone", "expense"),
    ("7504", "Office Stationery", "expense"),
    ("7906", "Exchange Rate Variance", "expense"),
]
# Foreign currencies, per pound (as the mock KashFlow's demo account has them).
RATES = {"EUR": ("Euro", "€", Decimal("1.17")), "USD": ("US Dollar", "$", Decimal("1.27"))}
# The partners abroad, who deal in their own currency (the others in pounds).
FOREIGN_PARTIES = {"CloudHost Inc": "USD", "Müller Bürobedarf GmbH": "EUR",
                   "Dupont Distribution SARL": "EUR"}

# (code, name, rate or None for exempt): one tax per rate for sales and for purchases.
VAT = [("S", "Standard", Decimal("0.20")), ("R", "Reduced", Decimal("0.05")),
       ("Z", "Zero rated", Decimal(0)), ("E", "Exempt", None)]

# Names as in mock_kashflow/seed.py (DEMO_SUPPLIERS, DEMO_CUSTOMERS).
SUPPLIERS = [
    ("BT Business", "1 Braham Street", "London", "E1 8EE", "accounts@bt01.example", 30),
    ("Office Supplies Direct", "Unit 4, Meadow Park", "Leeds", "LS11 5QR",
     "accounts@off01.example", 30),
    ("Greenway Property Lettings", "12 Park Row", "Leeds", "LS1 5HD",
     "accounts@land01.example", 14),
    ("Northern Power & Gas", "Energy House, Quay Street", "Manchester", "M3 3JE",
     "accounts@ener01.example", 30),
    ("Rail & Hotel Travel Ltd", "Station Approach", "York", "YO24 1AB",
     "accounts@trav01.example", 0),
    ("CloudHost Inc", "500 Market Street", "San Francisco", "CA 94105",
     "billing@cloudhost.example", 30),
    ("Müller Bürobedarf GmbH", "Hauptstraße 12", "Köln", "50667",
     "rechnung@mueller.example", 30),
]
CUSTOMERS = [
    ("Acme Trading Ltd", "20 Commercial Road", "Bristol", "BS1 6TA",
     "accounts@acme.example"),
    ("Brightside Cafe", "3 Harbour Walk", "Brighton", "BN2 1TQ", "owner@brightside.example"),
    ("Cornerstone Architects LLP", "88 King Street", "Manchester", "M2 4WQ",
     "finance@cornerstone.example"),
    ("Dupont Distribution SARL", "14 rue de la Paix", "Paris", "75002",
     "compta@dupont.example"),
]

# (category, expense code, revenue code, supplier VAT, customer VAT)
CATEGORIES = [
    ("Telephone and broadband", "7502", "4000", "S", "S"),
    ("Office stationery", "7504", "4000", "S", "S"),
    ("Rent", "7100", "4000", "E", "E"),
    ("Energy", "7200", "4000", "R", "R"),
    ("Travel", "7400", "4000", "Z", "Z"),
    ("Consultancy", "5000", "4001", "S", "S"),
    ("Catering", "5000", "4000", "S", "S"),
    ("Books and printed matter", "5000", "4000", "Z", "Z"),
]
# (product, category, list price)
PRODUCTS = [
    ("Business broadband (monthly)", "Telephone and broadband", "45.00"),
    ("Mobile plan (monthly)", "Telephone and broadband", "18.50"),
    ("A4 copier paper (box of 5 reams)", "Office stationery", "24.99"),
    ("Toner cartridge", "Office stationery", "89.00"),
    ("Office rent (monthly)", "Rent", "1250.00"),
    ("Electricity", "Energy", "0.28"),
    ("Rail fare", "Travel", "64.30"),
    ("Design consultancy (hour)", "Consultancy", "95.00"),
    ("Site visit", "Consultancy", "250.00"),
    ("Catering platter", "Catering", "42.00"),
    ("Printed brochure", "Books and printed matter", "3.20"),
]


@dataclass
class Demo:
    """What the steps make, for the later steps to use."""

    company: Any = None
    accounts: dict[str, Any] = field(default_factory=dict)  # by code
    taxes: dict[tuple[str, str], Any] = field(default_factory=dict)  # (kind, code)
    terms: dict[int, Any] = field(default_factory=dict)  # by days
    parties: dict[str, Any] = field(default_factory=dict)  # by name
    products: dict[str, Any] = field(default_factory=dict)  # by name
    currencies: dict[str, Any] = field(default_factory=dict)  # by code


def connect(config_file: str | None, database: str) -> None:
    config.set_trytond(database=database, config_file=config_file)
    # Dates in the past are the point of demo data: answer "yes" to Tryton's warnings.
    config.get_config().skip_warning = True


def xml_id(module: str, fs_id: str) -> int | None:
    """The database id of a record by its XML id, or None when no module defines it."""
    ModelData = Model.get("ir.model.data")
    try:
        return ModelData.get_id(module, fs_id, {})
    except KeyError:
        return None


def create_company(demo: Demo) -> None:
    Country = Model.get("country.country")
    Currency = Model.get("currency.currency")
    Party = Model.get("party.party")
    User = Model.get("res.user")

    Lang = Model.get("ir.lang")
    english, = Lang.find([("code", "=", "en")])
    english.date = "%d/%m/%Y"  # a UK business reads 29/11/2026
    english.save()

    uk = Country(name="United Kingdom", code="GB", code3="GBR", code_numeric="826")
    uk.save()
    gbp, = Currency.find([("code", "=", "GBP")]) or [None]
    if gbp is None:
        gbp = Currency(name="Pound Sterling", code="GBP", numeric_code="826", symbol="£",
                       rounding=Decimal("0.01"), digits=2)
        gbp.save()
    create_currencies(demo, gbp)
    party = Party(name=COMPANY)
    address, = party.addresses
    address.street = "1 High Street"
    address.city = "Leeds"
    address.postal_code = "LS1 1AA"
    address.country = uk
    party.contact_mechanisms.new(type="email", value="accounts@demotrading.example")
    party.save()

    wizard = Wizard("company.company.config")
    wizard.execute("company")
    wizard.form.party = party
    wizard.form.currency = gbp
    wizard.form.timezone = "Europe/London"
    wizard.execute("add")
    config.get_config()._context = User.get_preferences(True, {})
    Company = Model.get("company.company")
    demo.company, = Company.find([("party.name", "=", COMPANY)])


def create_currencies(demo: Demo, gbp: Any) -> None:
    """The pound at 1 and the euro and dollar at their rate per pound, from a year back."""
    Currency = Model.get("currency.currency")
    Rate = Model.get("currency.currency.rate")
    since = TODAY - dt.timedelta(days=400)
    if not gbp.rates:
        Rate(currency=gbp, date=since, rate=Decimal(1)).save()
    demo.currencies["GBP"] = gbp
    for code, (name, symbol, rate) in RATES.items():
        currency, = Currency.find([("code", "=", code)]) or [
            Currency(name=name, code=code, symbol=symbol, rounding=Decimal("0.01"),
                     digits=2)]
        currency.save()
        Rate(currency=currency, date=since, rate=rate).save()
        demo.currencies[code] = currency


def create_chart(demo: Demo) -> None:
    """Account types and accounts made directly (Tryton has no UK chart template)."""
    Type = Model.get("account.account.type")
    Account = Model.get("account.account")

    def account_type(name: str, parent: Any = None, **flags: Any) -> Any:
        record = Type(name=name, parent=parent, company=demo.company, **flags)
        record.save()
        return record

    balance = account_type("Balance Sheet", statement="balance")
    assets = account_type("Assets", balance, statement="balance", assets=True)
    liabilities = account_type("Liabilities", balance, statement="balance")
    income = account_type("Profit and Loss", statement="income")
    types = {
        "receivable": account_type("Trade debtors", assets, statement="balance", assets=True,
                                   receivable=True),
        "cash": account_type("Bank", assets, statement="balance", assets=True),
        "payable": account_type("Trade creditors", liabilities, statement="balance",
                                payable=True),
        "tax": account_type("VAT", liabilities, statement="balance"),
        "equity": account_type("Capital and reserves", liabilities, statement="balance"),
        "revenue": account_type("Turnover", income, statement="income", revenue=True),
        "expense": account_type("Costs and expenses", income, statement="income",
                                expense=True),
    }

    root = Account(name=f"{COMPANY} chart of accounts", company=demo.company)
    root.save()
    groups = {}
    for code, name in [("B", "Balance Sheet"), ("P", "Profit and Loss")]:
        groups[code] = Account(name=name, code=code, parent=root, company=demo.company)
        groups[code].save()
    for code, name, kind in CHART:
        account = Account(
            name=name, code=code, company=demo.company, type=types[kind],
            parent=groups["P" if kind in ("revenue", "expense") else "B"],
            reconcile=kind in ("receivable", "payable"),
            party_required=kind in ("receivable", "payable"))
        account.save()
        demo.accounts[code] = account

    Configuration = Model.get("account.configuration")
    configuration = Configuration(1)
    configuration.default_account_receivable = demo.accounts["1100"]
    configuration.default_account_payable = demo.accounts["2100"]
    configuration.default_category_account_expense = demo.accounts["5000"]
    configuration.default_category_account_revenue = demo.accounts["4000"]
    # Where Tryton books the pennies a foreign document's conversion leaves over.
    configuration.currency_exchange_debit_account = demo.accounts["7906"]
    configuration.currency_exchange_credit_account = demo.accounts["7906"]
    configuration.save()


def create_fiscal_years(demo: Demo) -> None:
    """This calendar year and the one before, each with periods and invoice sequences."""
    FiscalYear = Model.get("account.fiscalyear")
    SequenceStrict = Model.get("ir.sequence.strict")
    SequenceType = Model.get("ir.sequence.type")
    move_type, = SequenceType.find([("name", "=", "Account Move")], limit=1)
    invoice_type, = SequenceType.find([("name", "=", "Invoice")], limit=1)

    for year in (TODAY.year - 1, TODAY.year):
        fiscal_year = FiscalYear(name=str(year), company=demo.company,
                                 start_date=dt.date(year, 1, 1),
                                 end_date=dt.date(year, 12, 31))
        move_sequence = SequenceStrict(name=f"Moves {year}", sequence_type=move_type,
                                 company=demo.company, prefix=f"{year}/", padding=5)
        move_sequence.save()
        fiscal_year.move_sequence = move_sequence
        sequences = {}
        for kind, prefix in [("out_invoice", "INV"), ("out_credit_note", "CN"),
                             ("in_invoice", "PI"), ("in_credit_note", "PCN")]:
            sequences[kind] = SequenceStrict(
                name=f"{prefix} {year}", sequence_type=invoice_type, company=demo.company,
                prefix=f"{prefix}-{year}-", padding=4)
            sequences[kind].save()
        invoice_sequences, = fiscal_year.invoice_sequences
        for kind, sequence in sequences.items():
            setattr(invoice_sequences, f"{kind}_sequence", sequence)
        fiscal_year.save()
        fiscal_year.click("create_period")


def create_taxes(demo: Demo) -> None:
    TaxGroup = Model.get("account.tax.group")
    Tax = Model.get("account.tax")
    for kind, label, account_code in [("sale", "Sales", "2200"),
                                      ("purchase", "Purchases", "2201")]:
        group = TaxGroup(name=f"VAT on {label.lower()}", code=f"VAT-{kind}", kind=kind)
        group.save()
        for code, name, rate in VAT:
            suffix = "sales" if kind == "sale" else "purchases"
            tax = Tax(company=demo.company, group=group,
                      name=f"{name} {'exempt' if rate is None else f'{rate:.0%}'} ({suffix})",
                      description=f"UK VAT {name.lower()} - {suffix}")
            if rate is None:
                tax.type = "none"
            else:
                tax.type = "percentage"
                tax.rate = rate
                tax.invoice_account = demo.accounts[account_code]
                tax.credit_note_account = demo.accounts[account_code]
            tax.save()
            demo.taxes[kind, code] = tax


def create_payment_terms(demo: Demo) -> None:
    PaymentTerm = Model.get("account.invoice.payment_term")
    for days, name in [(0, "Due on receipt"), (14, "14 days"), (30, "30 days")]:
        term = PaymentTerm(name=name)
        line = term.lines.new(type="remainder")
        if days:
            line.relativedeltas.new(days=days)
        term.save()
        demo.terms[days] = term


def create_parties(demo: Demo) -> None:
    Party = Model.get("party.party")
    Country = Model.get("country.country")
    uk, = Country.find([("code", "=", "GB")])

    def party(name: str, street: str, city: str, postcode: str, email: str) -> Any:
        record = Party(name=name)
        address, = record.addresses
        address.street = street
        address.city = city
        address.postal_code = postcode
        address.country = None if name in FOREIGN_PARTIES else uk
        record.contact_mechanisms.new(type="email", value=email)
        return record

    for name, street, city, postcode, email, days in SUPPLIERS:
        record = party(name, street, city, postcode, email)
        record.supplier_payment_term = demo.terms[days]
        record.save()
        demo.parties[name] = record
    for name, street, city, postcode, email in CUSTOMERS:
        record = party(name, street, city, postcode, email)
        record.customer_payment_term = demo.terms[30]
        record.save()
        demo.parties[name] = record


def create_products(demo: Demo) -> None:
    Category = Model.get("product.category")
    Template = Model.get("product.template")
    Uom = Model.get("product.uom")
    unit, = Uom.find([("name", "=", "Unit")])
    categories = {}
    for name, expense, revenue, supplier_vat, customer_vat in CATEGORIES:
        category = Category(name=name, accounting=True,
                            account_expense=demo.accounts[expense],
                            account_revenue=demo.accounts[revenue])
        category.supplier_taxes.append(Model.get("account.tax")(
            demo.taxes["purchase", supplier_vat].id))
        category.customer_taxes.append(Model.get("account.tax")(
            demo.taxes["sale", customer_vat].id))
        category.save()
        categories[name] = category
    for name, category, price in PRODUCTS:
        template = Template(name=name, type="service", default_uom=unit,
                            list_price=Decimal(price), account_category=categories[category])
        template.save()
        demo.products[name], = template.products


# (type, party, days ago, reference, post?, [(product, quantity, unit price)], attach PDF?)
INVOICES: list[tuple[str, str, int, str, bool, list[tuple[str, str, str]], bool]] = [
    ("in", "BT Business", 40, "BT-2291-0031", True,
     [("Business broadband (monthly)", "1", "45.00"),
      ("Mobile plan (monthly)", "3", "18.50")], False),
    ("in", "Office Supplies Direct", 35, "OSD-558102", True,
     [("A4 copier paper (box of 5 reams)", "4", "24.99"),
      ("Toner cartridge", "2", "89.00")], False),
    ("in", "Greenway Property Lettings", 30, "GPL-RENT-0110", True,
     [("Office rent (monthly)", "1", "1250.00")], False),
    ("in", "Northern Power & Gas", 20, "NPG-7730114", True,
     [("Electricity", "1430", "0.28")], False),
    ("in", "Office Supplies Direct", 18, "OSD-CR-0412", True,
     [("Toner cartridge", "-1", "89.00")], False),  # credit note: a returned toner
    ("in", "Rail & Hotel Travel Ltd", 9, "RHT-44109", False,
     [("Rail fare", "2", "64.30")], False),
    ("in", "BT Business", 6, "BT-2291-0032", False,
     [("Business broadband (monthly)", "1", "45.00"),
      ("Mobile plan (monthly)", "3", "18.50")], True),
    ("out", "Acme Trading Ltd", 33, "PO-ACME-7781", True,
     [("Design consultancy (hour)", "12", "95.00"), ("Site visit", "1", "250.00")], False),
    ("out", "Brightside Cafe", 25, "", True,
     [("Catering platter", "6", "42.00")], False),
    ("out", "Cornerstone Architects LLP", 21, "CA-PO-1193", True,
     [("Design consultancy (hour)", "8", "95.00"),
      ("Printed brochure", "250", "3.20")], False),
    ("out", "Brightside Cafe", 15, "", True,
     [("Catering platter", "-1", "42.00")], False),  # credit note: one platter refunded
    ("out", "Acme Trading Ltd", 4, "PO-ACME-7802", False,
     [("Design consultancy (hour)", "6", "95.00")], False),
    ("out", "Cornerstone Architects LLP", 2, "", False,
     [("Site visit", "2", "250.00"), ("Printed brochure", "100", "3.20")], False),
    # In the partner's currency (FOREIGN_PARTIES): prices in dollars or euros.
    ("in", "CloudHost Inc", 12, "CH-2026-1187", True,
     [("Business broadband (monthly)", "1", "120.00")], False),
    ("in", "Müller Bürobedarf GmbH", 10, "MB-55012", True,
     [("Toner cartridge", "3", "75.00")], False),
    ("out", "Dupont Distribution SARL", 8, "DD-CMD-3310", True,
     [("Design consultancy (hour)", "10", "110.00")], False),
]


def create_invoices(demo: Demo) -> None:
    Invoice = Model.get("account.invoice")
    Attachment = Model.get("ir.attachment")
    to_post = []
    for kind, party, days_ago, reference, post, lines, attach in INVOICES:
        invoice = Invoice(type=kind, party=demo.parties[party])
        if party in FOREIGN_PARTIES:  # before the lines, which take its currency
            invoice.currency = demo.currencies[FOREIGN_PARTIES[party]]
        invoice.invoice_date = TODAY - dt.timedelta(days=days_ago)
        if reference:
            invoice.reference = reference
        for product, quantity, unit_price in lines:
            line = invoice.lines.new()
            line.product = demo.products[product]
            line.quantity = Decimal(quantity)
            line.unit_price = Decimal(unit_price)
        invoice.save()
        if post:
            to_post.append(invoice)
        if attach:
            total = invoice.total_amount
            pdf = tiny_pdf([
                f"{party} - Invoice {reference}",
                f"To: {COMPANY}, 1 High Street, Leeds LS1 1AA",
                f"Date: {invoice.invoice_date:%d %B %Y}",
                *(f"{q} x {p} at GBP {u}" for p, q, u in lines),
                f"Total including VAT: GBP {total}",
            ])
            Attachment(name=f"{reference}.pdf", resource=invoice, type="data",
                       data=pdf).save()
    for invoice in to_post:
        invoice.click("post")


def create_users(demo: Demo, logins: dict[str, str]) -> None:
    User = Model.get("res.user")
    Group = Model.get("res.group")
    Company = Model.get("company.company")

    def groups(*xml_ids: str) -> list[Any]:
        found = []
        for name in xml_ids:
            db_id = xml_id(*name.split(".", 1))
            if db_id is None:
                print(f"  (no group {name}: skipped)")
            else:
                found.append(Group(db_id))
        return found

    admin, = User.find([("login", "=", "admin")])
    admin.email = "admin@demotrading.example"
    have = {g.id for g in admin.groups}
    admin.groups.extend(g for g in groups("dext_kashflow.group_kashflow_admin")
                        if g.id not in have)
    admin.save()

    user = User(name="Demo User", login="user", email="user@demotrading.example")
    user.password = logins["user"]
    user.companies.append(Company(demo.company.id))
    user.company = Company(demo.company.id)
    user.groups.extend(groups("account.group_account", "dext_kashflow.group_kashflow_publisher"))
    user.save()


def close_setup_wizards(demo: Demo) -> None:
    """The set-up is done: sao would otherwise open these wizards (Configure Company, Create
    Chart of Accounts...) at the administrator's first login."""
    Item = Model.get("ir.module.config_wizard.item")
    items = Item.find([("state", "!=", "done")])
    for item in items:
        item.state = "done"
    Item.save(items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="trytond configuration file")
    parser.add_argument("--database", default="demo")
    parser.add_argument("--logins", required=True,
                        help="JSON file with the passwords of 'admin' and 'user'")
    args = parser.parse_args(argv)
    logins = json.loads(Path(args.logins).read_text())

    connect(args.config, args.database)
    if Model.get("company.company").find([("party.name", "=", COMPANY)]):
        print(f"  demo data: {COMPANY} exists already, nothing to do")
        return 0
    demo = Demo()
    steps = [("company", create_company), ("chart of accounts", create_chart),
             ("fiscal years", create_fiscal_years), ("UK VAT", create_taxes),
             ("payment terms", create_payment_terms), ("suppliers and customers",
                                                       create_parties),
             ("products", create_products), ("invoices", create_invoices)]
    for label, step in steps:
        print(f"  demo data: {label}", flush=True)
        step(demo)
    print("  demo data: users", flush=True)
    create_users(demo, logins)
    close_setup_wizards(demo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
