"""The SOAP side's records as KashFlow's REST API shows them, and back.

The two APIs name the same things differently: a nominal's database id is SOAP's ChargeType
and REST's NominalId, its four-digit number REST's NominalCode; VAT rate -1 is REST's
VATExempt; SOAP's CurrencyID is REST's Currency object. What is shown here is what KashFlow's
Swagger lists for each resource, filled from what the account holds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..currencies import to_home
from ..models import Account
from ..schema import Record

JSON = dict[str, Any]
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def date_text(value: dt.datetime | dt.date | None) -> str | None:
    """KashFlow's REST dates: "2026-01-15 00:00:00"."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value.strftime(DATE_FORMAT)


def number(value: Decimal | int | None) -> float | int:
    """A JSON number; money keeps its pennies exactly (2 places are exact in a float's
    repr), whole numbers stay whole."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


def nominal(record: Record) -> JSON:
    return {
        "Id": record["id"], "Code": record["Code"], "Name": record["Name"],
        "Type": record.get("TypeName") or "", "NomType": record.get("TypeID") or 0,
        "Classification": record.get("ClassificationName") or "",
        "VATRate": number(record.get("VATRate")), "VATExempt": False,
        "Description": record.get("Description") or "",
        "Archived": bool(record.get("Archived")), "Disallowed": False,
    }


def vat_rate(record: Record) -> JSON:
    return {"VATId": record["ID"], "VATRate": number(record["Value"]),
            "VATText": record.get("Name") or f"{record['Value']}%"}


def currency(record: Record) -> JSON:
    code = record["CurrencyCode"]
    return {"Id": record["CurrencyId"], "Code": code, "Name": code, "Symbol": code,
            "DisplaySymbolOnRight": False, "ExchangeRate": number(record["ExchangeRate"])}


def partner_currency(account: Account, currency_id: int | None) -> JSON:
    found = next((c for c in account.currencies if c["CurrencyId"] == currency_id), None)
    found = found or next(c for c in account.currencies if c.get("isDefault"))
    return {"Code": found["CurrencyCode"], "ExchangeRate": number(found["ExchangeRate"]),
            "Name": found["CurrencyCode"], "Symbol": found["CurrencyCode"],
            "DisplaySymbolOnRight": False}


def bank_account(record: Record) -> JSON:
    return {"Id": record["AccountID"], "AccountName": record["AccountName"],
            "Code": record["AccountCode"], "IsDefaultAccount": record["AccountCode"] == 1200,
            "IsArchived": False, "TransactionLockEnabled": False}


def project(record: Record) -> JSON:
    """A project: SOAP keeps its number in Description ("P001"); REST numbers are whole."""
    return {"Id": record["ID"], "Number": project_number(record), "Name": record["Name"],
            "Reference": record.get("Description") or "", "Description": "",
            "Status": "Active"}


def project_number(record: Record) -> int:
    digits = "".join(ch for ch in record.get("Description") or "" if ch.isdigit())
    return int(digits) if digits else record["ID"]


def payment_method(record: Record) -> JSON:
    return {"Id": record["MethodID"], "Name": record["MethodName"]}


def supplier(account: Account, record: Record) -> JSON:
    return {
        "Id": record["SupplierID"], "Code": record["Code"], "Name": record["Name"],
        "VatNumber": record.get("VATNumber") or "",
        "PaymentTerms": {"Type": "Days", "Days": record.get("PaymentTerms") or 0},
        "Currency": partner_currency(account, record.get("CurrencyID")),
        "Contacts": contacts(record), "Address": address(record, "PostCode"),
        "CreatedDate": date_text(record.get("Created")),
        "LastUpdatedDate": date_text(record.get("Updated")), "IsArchived": False,
    }


def customer(account: Account, record: Record) -> JSON:
    return {
        "Id": record["CustomerID"], "Code": record["Code"], "Name": record["Name"],
        "VATNumber": record.get("VATNumber") or "",
        "PaymentTerms": {"Type": "Days", "Days": record.get("PaymentTerms") or 0},
        "Currency": partner_currency(account, record.get("CurrencyID")),
        "Contacts": contacts(record), "Addresses": [address(record, "Postcode")],
        "CreatedDate": date_text(record.get("Created")),
        "LastUpdatedDate": date_text(record.get("Updated")), "IsArchived": False,
    }


def contacts(record: Record) -> list[JSON]:
    if not (record.get("Contact") or record.get("Email") or record.get("Telephone")):
        return []
    return [{"IsPrimary": True, "Name": record.get("Contact") or "",
             "Email": record.get("Email") or "", "Telephone": record.get("Telephone") or "",
             "Mobile": record.get("Mobile") or ""}]


def address(record: Record, postcode: str) -> JSON:
    return {"Line1": record.get("Address1") or "", "Line2": record.get("Address2") or "",
            "Line3": record.get("Address3") or "", "Line4": record.get("Address4") or "",
            "PostCode": record.get(postcode) or "", "CountryCode": record.get("CountryCode") or ""}


# Purchases and invoices ------------------------------------------------------


def document(account: Account, kind_collection: str, record: Record,
             payments: list[Record]) -> JSON:
    """A purchase or an invoice in full, as GET /purchases/{number} shows it."""
    nominals = {n["id"]: n for n in account.nominal_codes}
    projects = {p["ID"]: p for p in account.projects}
    shown = summary(account, kind_collection, record)
    shown["LineItems"] = [line(ln, nominals, projects, record["ExchangeRate"])
                          for ln in record.get("Lines") or []]
    shown["PaymentLines"] = [{
        "Id": p["PayID"], "Date": date_text(p["PayDate"]), "Amount": number(p["PayAmount"]),
        "Method": p["PayMethod"], "AccountId": p["PayAccount"], "Note": p.get("PayNote") or "",
    } for p in payments]
    return shown


def summary(account: Account, kind_collection: str, record: Record) -> JSON:
    """A row of GET /purchases or /invoices: the document without its lines."""
    purchase = kind_collection == "receipts"
    party = "Supplier" if purchase else "Customer"
    gross = record["NetAmount"] + record["VATAmount"]
    rate = record["ExchangeRate"] or Decimal(1)
    project = next((p for p in account.projects if p["ID"] == record.get("ProjectID")), None)
    shown = {
        "Id": record["InvoiceDBID"], "Number": record["InvoiceNumber"],
        "IssuedDate": date_text(record["InvoiceDate"]), "DueDate": date_text(record["DueDate"]),
        f"{party}Id": record["CustomerID"], f"{party}Code": record.get("Customer") or "",
        f"{party}Name": record.get("CustomerName") or "",
        "NetAmount": number(record["NetAmount"]), "VATAmount": number(record["VATAmount"]),
        "GrossAmount": number(gross),
        "HomeCurrencyGrossAmount": number(to_home(record["NetAmount"], rate)
                                          + to_home(record["VATAmount"], rate)),
        "TotalPaidAmount": number(to_home(record["AmountPaid"], rate)),
        "DueAmount": number(gross - record["AmountPaid"]),
        "Status": status(record, gross),
        "Currency": {"Code": record["CurrencyCode"], "ExchangeRate": number(rate),
                     "Name": record["CurrencyCode"], "Symbol": record["CurrencyCode"],
                     "DisplaySymbolOnRight": False},
        "ProjectNumber": project_number(project) if project else 0,
        "Permalink": f"/v2/documents/{'purchase' if purchase else 'invoice'}/"
                     f"{record['InvoiceDBID']}",
    }
    # (The SOAP side keeps either's reference as CustomerReference.)
    shown[f"{party}Reference"] = record.get("CustomerReference") or ""
    return shown


def line(record: Record, nominals: dict[int, Record], projects: dict[int, Record],
         rate: Decimal) -> JSON:
    nominal_record = nominals.get(record["ChargeType"])
    project_record = projects.get(record.get("ProjID") or 0)
    exempt = record["VatRate"] == -1
    return {
        "Number": record["Sort"], "Description": record.get("Description") or "",
        "Quantity": number(record["Quantity"]), "Rate": number(record["Rate"]),
        "VATLevel": 0 if exempt else number(record["VatRate"]), "VATExempt": exempt,
        "VATAmount": number(record["VatAmount"]),
        "NominalCode": nominal_record["Code"] if nominal_record else 0,
        "NominalId": record["ChargeType"],
        "NominalName": nominal_record["Name"] if nominal_record else "",
        "ProjectNumber": project_number(project_record) if project_record else 0,
        "HomeCurrencyRate": number(to_home(record["Rate"], rate or Decimal(1))),
    }


def status(record: Record, gross: Decimal) -> str:
    """KashFlow's words: Unpaid, Paid, Overpaid, Overdue, or NA for a zero document."""
    if not gross:
        return "NA"
    paid, owed = abs(record["AmountPaid"]), abs(gross)
    if paid > owed:
        return "Overpaid"
    if paid == owed:
        return "Paid"
    due = record["DueDate"]
    if isinstance(due, dt.datetime) and due < dt.datetime.now():
        return "Overdue"
    return "Unpaid"
