"""Our dataclasses to KashFlow's REST shapes and back.

The same models as the SOAP client's (kashflow.models): what differs between the two APIs is
translated here, not by the caller. A line's nominal is REST's visible NominalCode where our
models keep its id (SOAP's ChargeType); an exempt line is VATExempt where ours has VAT rate -1;
a document names its supplier or customer by code; dates are "2026-01-15 00:00:00"; money is a
JSON number, read as an exact Decimal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .models import (
    BankAccount,
    Currency,
    Customer,
    Document,
    DocumentLine,
    NominalCode,
    Party,
    Payment,
    PaymentMethod,
    Project,
    Supplier,
    VatRate,
)

Json = Mapping[str, Any]
RATE_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")
ZERO = Decimal(0)
EXEMPT = Decimal(-1)


def date_text(value: dt.date | None) -> str | None:
    return None if value is None else f"{value:%Y-%m-%d} 00:00:00"


def to_date(value: Any) -> dt.date | None:
    """KashFlow's REST dates, read leniently: with a time, a "T", an offset, or none."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def dec(raw: Json, key: str) -> Decimal:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(raw: Json, key: str) -> Decimal:
    """An amount of money, to the penny at least, as SOAP gives it (a JSON 10 is 10.00)."""
    value = dec(raw, key)
    exponent = value.as_tuple().exponent
    return value.quantize(CENT) if isinstance(exponent, int) and exponent > -2 else value


def num(value: Decimal) -> float | int:
    """A number for a JSON body. Amounts have at most 15 significant digits (below a
    trillion, to the penny), which a float carries exactly from and back to its text."""
    return int(value) if value == value.to_integral_value() else float(value)


def json_number(value: object) -> float | int:
    """json.dumps' default: a Decimal (as read back from KashFlow) as a JSON number."""
    if isinstance(value, Decimal):
        return num(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


# Lists -----------------------------------------------------------------------


def to_nominal(raw: Json) -> NominalCode:
    return NominalCode(id=int(raw["Id"]), code=int(raw["Code"]), name=str(raw.get("Name") or ""),
                       type_id=int(raw.get("NomType") or 0), type_name=str(raw.get("Type") or ""),
                       classification_name=str(raw.get("Classification") or ""),
                       vat_rate=dec(raw, "VATRate"), archived=bool(raw.get("Archived")))


def to_vat_rate(raw: Json) -> VatRate:
    return VatRate(id=int(raw["VATId"]), name=str(raw.get("VATText") or ""),
                   rate=dec(raw, "VATRate"))


def to_currency(raw: Json, home: str) -> Currency:
    """A currency, its rate to 4 places as SOAP gives it (a JSON 1.17 is 1.1700)."""
    code = str(raw.get("Code") or "")
    rate = dec(raw, "ExchangeRate")
    return Currency(id=int(raw["Id"]), code=code, is_default=code == home,
                    exchange_rate=rate.quantize(RATE_PLACES) if code != home else rate)


def to_bank_account(raw: Json) -> BankAccount:
    return BankAccount(id=int(raw["Id"]), name=str(raw.get("AccountName") or ""),
                       code=int(raw.get("Code") or 0))


def to_project(raw: Json) -> Project:
    return Project(id=int(raw["Id"]), name=str(raw.get("Name") or ""),
                   number=str(raw.get("Number") or ""))


def to_payment_method(raw: Json) -> PaymentMethod:
    return PaymentMethod(id=int(raw["Id"]), name=str(raw.get("Name") or ""))


def to_party(cls: type[Party], raw: Json, currency_ids: Mapping[str, int]) -> Party:
    contact = next(iter(raw.get("Contacts") or []), None) or {}
    address = raw.get("Address") or next(iter(raw.get("Addresses") or []), None) or {}
    terms = raw.get("PaymentTerms") or {}
    currency = (raw.get("Currency") or {}).get("Code") or ""
    return cls(
        id=int(raw.get("Id") or 0), code=str(raw.get("Code") or ""),
        name=str(raw.get("Name") or ""), contact=str(contact.get("Name") or ""),
        email=str(contact.get("Email") or ""), telephone=str(contact.get("Telephone") or ""),
        address1=str(address.get("Line1") or ""), address2=str(address.get("Line2") or ""),
        address3=str(address.get("Line3") or ""), address4=str(address.get("Line4") or ""),
        postcode=str(address.get("PostCode") or ""),
        vat_number=str(raw.get("VatNumber") or raw.get("VATNumber") or ""),
        payment_terms=int(terms.get("Days") or 0) if isinstance(terms, Mapping) else 0,
        currency_id=currency_ids.get(currency, 0))


def party_body(party: Party, purchase: bool, currency_code: str) -> dict[str, Any]:
    """A POST /suppliers or /customers body. No code: KashFlow makes one from the name (and
    a free one should the code be taken)."""
    address = {"Line1": party.address1, "Line2": party.address2, "Line3": party.address3,
               "Line4": party.address4, "PostCode": party.postcode}
    body: dict[str, Any] = {
        "Name": party.name,
        ("VatNumber" if purchase else "VATNumber"): party.vat_number,
        ("Address" if purchase else "Addresses"): address if purchase else [address],
        ("CreateSupplierCodeIfDuplicate" if purchase else "CreateCustomerCodeIfDuplicate"):
            not party.code,
    }
    if party.code:
        body["Code"] = party.code
    if party.contact or party.email or party.telephone:
        body["Contacts"] = [{"IsPrimary": True, "Name": party.contact, "Email": party.email,
                             "Telephone": party.telephone}]
    if party.payment_terms:
        body["PaymentTerms"] = {"Type": "Days", "Days": party.payment_terms}
    if currency_code:
        body["Currency"] = {"Code": currency_code}
    return body


def to_supplier(raw: Json, currency_ids: Mapping[str, int]) -> Supplier:
    party = to_party(Supplier, raw, currency_ids)
    assert isinstance(party, Supplier)
    return party


def to_customer(raw: Json, currency_ids: Mapping[str, int]) -> Customer:
    party = to_party(Customer, raw, currency_ids)
    assert isinstance(party, Customer)
    return party


# Documents -------------------------------------------------------------------


def document_body(doc: Document, party_code: str, purchase: bool,
                  nominal_codes: Mapping[int, int], project_numbers: Mapping[int, int],
                  payments: list[Payment]) -> dict[str, Any]:
    """A POST /purchases or /invoices body; nominal_codes and project_numbers map our ids to
    REST's codes and numbers."""
    body: dict[str, Any] = {
        ("SupplierCode" if purchase else "CustomerCode"): party_code,
        "IssuedDate": date_text(doc.date),
        ("SupplierReference" if purchase else "CustomerReference"): doc.reference,
        "Currency": {"Code": doc.currency_code, "ExchangeRate": num(doc.exchange_rate)},
        "LineItems": [line_body(line, position, nominal_codes, project_numbers)
                      for position, line in enumerate(doc.lines, start=1)],
    }
    if doc.due_date is not None:
        body["DueDate"] = date_text(doc.due_date)
    if doc.project_id:
        body["ProjectNumber"] = project_numbers[doc.project_id]
    if payments:
        body["PaymentLines"] = [payment_line(p) for p in payments]
    return body


# What a PUT of a document takes back from the document read (KashFlow's request fields).
PUT_HEADER = ("Number", "IssuedDate", "DueDate", "Currency", "ProjectNumber",
              "IsCISReverseCharge")
PUT_LINE = ("Number", "Description", "Quantity", "Rate", "VATLevel", "VATExempt", "VATAmount",
            "NominalCode", "ProjectNumber")
PUT_PAYMENT = ("Id", "Date", "Amount", "Method", "AccountId", "Note")


def replacement_body(held: Json, purchase: bool, payment: Payment) -> dict[str, Any]:
    """A PUT body that puts the document read (held) back as it is, with payment added."""
    party, reference = (("SupplierCode", "SupplierReference") if purchase
                        else ("CustomerCode", "CustomerReference"))
    body = {key: held[key] for key in (*PUT_HEADER, party, reference) if key in held}
    if isinstance(body.get("Currency"), Mapping):
        body["Currency"] = {key: body["Currency"][key] for key in ("Code", "ExchangeRate")
                            if key in body["Currency"]}
    body["LineItems"] = [{key: line[key] for key in PUT_LINE if key in line}
                         for line in held.get("LineItems") or []]
    body["PaymentLines"] = [{key: line[key] for key in PUT_PAYMENT if key in line}
                            for line in held.get("PaymentLines") or []] + [payment_line(payment)]
    return body


def payment_line(payment: Payment) -> dict[str, Any]:
    """A new payment as a PaymentLines entry (AccountId: the bank account's Id)."""
    return {"Date": date_text(payment.date), "Amount": num(payment.amount),
            "Method": payment.method_id, "AccountId": payment.bank_account_id,
            "Note": payment.note}


def line_body(line: DocumentLine, position: int, nominal_codes: Mapping[int, int],
              project_numbers: Mapping[int, int]) -> dict[str, Any]:
    exempt = line.vat_rate == EXEMPT
    body: dict[str, Any] = {
        "Number": line.sort or position, "Description": line.description,
        "Quantity": num(line.quantity), "Rate": num(line.rate),
        # Sent even when 0: left out, KashFlow may apply a rate of its own.
        "VATLevel": 0 if exempt else num(line.vat_rate), "VATExempt": exempt,
        "VATAmount": num(line.vat_amount),
        "NominalCode": nominal_codes[line.nominal_id] if line.nominal_id else 0,
    }
    if line.project_id:
        body["ProjectNumber"] = project_numbers[line.project_id]
    return body


def to_document(raw: Json, purchase: bool, project_ids: Mapping[int, int]) -> Document:
    party = "Supplier" if purchase else "Customer"
    currency = raw.get("Currency") or {}
    return Document(
        party_id=int(raw.get(f"{party}Id") or 0), date=to_date(raw.get("IssuedDate"))
        or dt.date(1, 1, 1), lines=[to_line(ln, project_ids) for ln in raw.get("LineItems")
                                    or []],
        due_date=to_date(raw.get("DueDate")),
        reference=str(raw.get(f"{party}Reference") or ""),
        project_id=project_ids.get(int(raw.get("ProjectNumber") or 0), 0),
        currency_code=str(currency.get("Code") or "GBP"),
        exchange_rate=dec(currency, "ExchangeRate") or Decimal(1),
        number=int(raw.get("Number") or 0), db_id=int(raw.get("Id") or 0),
        party_code=str(raw.get(f"{party}Code") or ""),
        party_name=str(raw.get(f"{party}Name") or ""),
        net_amount=money(raw, "NetAmount"), vat_amount=money(raw, "VATAmount"),
        # REST's TotalPaidAmount is in the home currency; ours is the document's.
        amount_paid=money(raw, "GrossAmount") - money(raw, "DueAmount"),
        paid=raw.get("Status") in ("Paid", "Overpaid"),
        permalink=str(raw.get("Permalink") or ""))


def to_line(raw: Json, project_ids: Mapping[int, int]) -> DocumentLine:
    return DocumentLine(
        quantity=dec(raw, "Quantity"), description=str(raw.get("Description") or ""),
        rate=money(raw, "Rate"), nominal_id=int(raw.get("NominalId") or 0),
        vat_rate=EXEMPT if raw.get("VATExempt") else dec(raw, "VATLevel"),
        vat_amount=money(raw, "VATAmount"),
        project_id=project_ids.get(int(raw.get("ProjectNumber") or 0), 0),
        sort=int(raw.get("Number") or 0))
