"""A purchase or an invoice sent over REST, read into the records the SOAP side keeps.

Everything is read and checked as KashFlow's REST API names it (SupplierCode, LineItems,
NominalCode, VATLevel, VATExempt, PaymentLines...) before anything is written; what REST and
SOAP share (a nominal exists, a VAT rate is the account's, dates and amounts in range) is
then checked by the SOAP side's own rules (documents.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..documents import Kind
from ..models import Account
from ..schema import Record, kashflow_schema
from ..values import NULL_DATE
from .errors import invalid
from .shapes import project_number

JSON = dict[str, Any]
CENT = Decimal("0.01")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


@dataclass
class Sent:
    """What a POST of a document carries, as the SOAP side keeps it."""

    document: Record
    payments: list[Record]
    number: int | None  # the number asked for, if any
    payment_ids: list[int]  # each payment's Id (a PUT keeps those with one), 0: new


def read_document(account: Account, kind: Kind, data: JSON) -> Sent:
    party_field = "SupplierCode" if kind.collection == "receipts" else "CustomerCode"
    code = data.get(party_field)
    if not isinstance(code, str) or not code.strip():
        raise invalid(f"{party_field} is required.")
    if account.find(kind.party_collection, "Code", code) is None:
        raise invalid(f"There is no {kind.party_noun} with the code {code}.")
    lines = data.get("LineItems")
    if not isinstance(lines, list) or not lines:
        raise invalid("LineItems must list at least one line.")
    currency = data.get("Currency") or {}
    if not isinstance(currency, dict):
        raise invalid("Currency must be an object {Code, ExchangeRate}.")
    reference_field = ("SupplierReference" if kind.collection == "receipts"
                       else "CustomerReference")
    document = kashflow_schema().blank(
        "Invoice", Customer=code, CustomerID=0,
        InvoiceDate=date(data.get("IssuedDate"), "IssuedDate", required=True),
        DueDate=date(data.get("DueDate"), "DueDate"),
        CustomerReference=text(data.get(reference_field), reference_field),
        ProjectID=project_id(account, data.get("ProjectNumber"), "ProjectNumber"),
        CurrencyCode=text(currency.get("Code"), "Currency.Code") or None,
        ExchangeRate=amount(currency.get("ExchangeRate", 0), "Currency.ExchangeRate"),
        Lines=[read_line(account, line, n) for n, line in enumerate(lines, start=1)])
    payments = data.get("PaymentLines") or []
    if not isinstance(payments, list):
        raise invalid("PaymentLines must be a list.")
    number = data.get("Number")
    if number in (None, 0):
        number = None
    elif not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise invalid("Number must be a whole number above 0.")
    return Sent(document, [read_payment(p, n) for n, p in enumerate(payments, start=1)],
                number, [whole(p.get("Id"), f"Payment line {n}: Id")
                         for n, p in enumerate(payments, start=1)])


def read_line(account: Account, line: Any, number: int) -> Record:
    where = f"Line {number}"
    if not isinstance(line, dict):
        raise invalid(f"{where} must be an object.")
    code = line.get("NominalCode")
    nominal = None
    if code not in (None, 0):
        if not isinstance(code, int) or isinstance(code, bool):
            raise invalid(f"{where}: NominalCode must be the nominal's whole-number code.")
        nominal = account.find("nominal_codes", "Code", code)
        if nominal is None:
            raise invalid(f"{where}: there is no nominal code {code}.")
    exempt = line.get("VATExempt", False)
    if not isinstance(exempt, bool):
        raise invalid(f"{where}: VATExempt must be true or false.")
    return {
        **kashflow_schema().blank(
            "InvoiceLine",
            Quantity=amount(line.get("Quantity", 1), f"{where}: Quantity"),
            Description=text(line.get("Description"), f"{where}: Description"),
            Rate=money(line.get("Rate", 0), f"{where}: Rate"),
            ChargeType=nominal["id"] if nominal else 0,
            VatRate=Decimal(-1) if exempt else amount(line.get("VATLevel", 0),
                                                      f"{where}: VATLevel"),
            VatAmount=money(line.get("VATAmount", 0), f"{where}: VATAmount"),
            Sort=number,
            ProjID=project_id(account, line.get("ProjectNumber"), f"{where}: ProjectNumber"),
            # REST amounts are in the document's currency.
            ValuesInCurrency=1),
        "_type": "InvoiceLine"}


def read_payment(payment: Any, number: int) -> Record:
    where = f"Payment line {number}"
    if not isinstance(payment, dict):
        raise invalid(f"{where} must be an object.")
    return kashflow_schema().blank(
        "Payment", PayInvoice=0,
        PayDate=date(payment.get("Date"), f"{where}: Date"),
        PayNote=text(payment.get("Note"), f"{where}: Note"),
        PayMethod=whole(payment.get("Method"), f"{where}: Method"),
        PayAccount=whole(payment.get("AccountId"), f"{where}: AccountId"),
        PayAmount=money(payment.get("Amount", 0), f"{where}: Amount"))


def project_id(account: Account, number: Any, what: str) -> int:
    """The SOAP id of the project a REST ProjectNumber names (0: none)."""
    if number in (None, 0):
        return 0
    if not isinstance(number, int) or isinstance(number, bool):
        raise invalid(f"{what} must be a whole number.")
    found = next((p for p in account.projects if project_number(p) == number), None)
    if found is None:
        raise invalid(f"{what}: there is no project {number}.")
    return found["ID"]


def date(value: Any, what: str, required: bool = False) -> dt.datetime:
    if value in (None, ""):
        if required:
            raise invalid(f"{what} is required.")
        return NULL_DATE
    if isinstance(value, str):
        text_value = value.strip()[:19]
        for layout in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text_value, layout)
            except ValueError:
                continue
    raise invalid(f'{what} must be a date such as "2026-01-15 00:00:00", not {value!r}.')


def amount(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise invalid(f"{what} must be a number, not {value!r}.")
    if isinstance(value, Decimal) and not value.is_finite():
        raise invalid(f"{what} must be a number.")
    return Decimal(value)


def money(value: Any, what: str) -> Decimal:
    """An amount of money, kept to the penny at least (a JSON 50.5 is 50.50); a zero is
    kept as 0, as the SOAP side keeps the zeros its callers send."""
    value = amount(value, what)
    exponent = value.as_tuple().exponent
    if not value or not isinstance(exponent, int) or exponent <= -2:
        return value
    return value.quantize(CENT)


def whole(value: Any, what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{what} must be a whole number, not {value!r}.")
    return value


def text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(f"{what} must be text, not {value!r}.")
    return value

