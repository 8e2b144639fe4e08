"""What a new account holds: a UK demo business, or nothing but KashFlow's basics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .currencies import DEMO_RATES
from .models import Account
from .schema import kashflow_schema

# (code, name, classification id, type id): 1 sales type, 2 outgoing type, 3 bank.
UK_NOMINALS = [
    (4000, "Sales", 1, 1), (4001, "Sales - Services", 1, 1), (4009, "Discounts", 1, 1),
    (4200, "Sale of Assets", 1, 1), (4902, "Commissions Received", 1, 1),
    (4905, "Distribution and Carriage", 1, 1),
    (5000, "Purchases", 2, 2), (5100, "Carriage", 2, 2), (5101, "Import Duty", 2, 2),
    (6002, "Sub contractors", 3, 2), (6201, "Advertising", 3, 2), (7100, "Rent", 3, 2),
    (7102, "Water Rates", 3, 2), (7200, "Electricity", 3, 2), (7201, "Gas", 3, 2),
    (7400, "Travel", 3, 2), (7402, "Hotels", 3, 2), (7403, "Entertainment", 3, 2),
    (7500, "Printing", 3, 2), (7501, "Postage", 3, 2), (7502, "Telephone", 3, 2),
    (7504, "Office Stationery", 3, 2), (7600, "Legal Fees", 3, 2),
    (7601, "Accounting Fees", 3, 2), (7801, "Cleaning", 3, 2), (8201, "Subscriptions", 3, 2),
    (8204, "Insurance", 3, 2), (8205, "Refreshments", 3, 2),
]
CLASSIFICATIONS = {1: "Turnover", 2: "Cost of Sale", 3: "Expense"}
TYPES = {1: "Sales Type", 2: "Outgoing Type", 3: "Bank Transaction Type"}
UK_VAT_RATES = [Decimal(20), Decimal(5), Decimal(0)]
DEMO_SUPPLIERS = [
    ("BT01", "BT Business", 30), ("OFF01", "Office Supplies Direct", 30),
    ("LAND01", "Greenway Property Lettings", 14), ("ENER01", "Northern Power & Gas", 30),
    ("TRAV01", "Rail & Hotel Travel Ltd", 0), ("CLOUD01", "CloudHost Inc", 30),
    ("MULL01", "Müller Bürobedarf GmbH", 30),
]
DEMO_CUSTOMERS = [
    ("ACME01", "Acme Trading Ltd", "accounts@acme.example"),
    ("BRIG01", "Brightside Cafe", "owner@brightside.example"),
    ("CORN01", "Cornerstone Architects LLP", "finance@cornerstone.example"),
    ("DUPO01", "Dupont Distribution SARL", "compta@dupont.example"),
]
# The demo's partners abroad, who deal in their own currency (the others in pounds).
DEMO_CURRENCIES = {"CLOUD01": "USD", "MULL01": "EUR", "DUPO01": "EUR"}
DEMO_BANKS = [(1200, "Current Account"), (1210, "Business Savings")]
DEMO_PROJECTS = [("P001", "Office refit"), ("P002", "Website relaunch")]
PAYMENT_METHODS = ["Cash", "Cheque", "BACS", "Credit/Debit Card", "Direct Debit", "PayPal"]


def seed_account(account: Account, seed: str, next_dbid) -> Account:
    """Fill account with the basics every KashFlow account has, plus demo data."""
    schema = kashflow_schema()
    now = dt.datetime.now().replace(microsecond=0)
    account.company = schema.blank(
        "CompanyDetails", CompanyName="Demo Trading Ltd" if seed == "demo" else account.username,
        Address1="1 High Street", Address2="Leeds", Postcode="LS1 1AA",
        PrimaryEmail=account.username if "@" in account.username else None,
        VatRegistered="Yes", VatRegistrationNumber="GB123456789", PaymentTerms=30,
        CurrencySymbol="£", CurrencyPosition="Before", UsDate="No", CurrencyId=1,
        CurrencyName="Pound Sterling")
    account.currencies = [schema.blank("Currencies", CurrencyId=1, CurrencyCode="GBP",
                                       ExchangeRate=Decimal(1), isDefault=1)]
    if seed == "demo":
        account.currencies += [
            schema.blank("Currencies", CurrencyId=n, CurrencyCode=code, ExchangeRate=rate,
                         isDefault=0)
            for n, (code, rate) in enumerate(DEMO_RATES.items(), start=2)]
    account.vat_rates = [
        schema.blank("BasicDataset", ID=i, Name=f"{rate}%", Description=f"{rate}%", Value=rate)
        for i, rate in enumerate(UK_VAT_RATES, start=1)]
    account.payment_methods = {
        kind: [schema.blank("PaymentMethod", MethodID=i, MethodName=name)
               for i, name in enumerate(PAYMENT_METHODS, start=1)]
        for kind in ("invoice", "receipt")}
    # Every account has its bank nominals; ids are KashFlow's internal ones.
    account.bank_accounts = [
        schema.blank("BankAccount", AccountID=next_dbid(), AccountName=name, AccountCode=code)
        for code, name in DEMO_BANKS[: 2 if seed == "demo" else 1]]
    if seed != "demo":
        return account

    account.nominal_codes = [
        schema.blank("NominalCodeExtended", id=next_dbid(), Code=code, Name=name,
                     TypeID=type_id, TypeName=TYPES[type_id], ClassificationID=cls_id,
                     ClassificationName=CLASSIFICATIONS[cls_id], VATRate=Decimal(20),
                     Description=name)
        for code, name, cls_id, type_id in UK_NOMINALS]
    currency_ids = {c["CurrencyCode"]: c["CurrencyId"] for c in account.currencies}

    def currency_id(code: str) -> int:
        return currency_ids[DEMO_CURRENCIES.get(code, "GBP")]

    account.suppliers = [
        schema.blank("Supplier", SupplierID=next_dbid(), Code=code, Name=name,
                     PaymentTerms=terms, Created=now, Updated=now,
                     CurrencyID=currency_id(code), Email=f"accounts@{code.lower()}.example")
        for code, name, terms in DEMO_SUPPLIERS]
    account.customers = [
        schema.blank("Customer", CustomerID=next_dbid(), Code=code, Name=name, Email=email,
                     PaymentTerms=30, Created=now, Updated=now, CurrencyID=currency_id(code))
        for code, name, email in DEMO_CUSTOMERS]
    account.projects = [
        schema.blank("BasicDataset", ID=next_dbid(), Name=name, Description=number)
        for number, name in DEMO_PROJECTS]
    return account
