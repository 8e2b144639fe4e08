"""Our dataclasses to KashFlow's SOAP types and back.

Outgoing objects are built from the WSDL's own types, with every required
(minOccurs=1) element filled with .NET's zero value, as KashFlow's own
XmlSerializer would. Incoming results are first flattened to plain dicts
with zeep's serialize_object (lists: read by kashflow.list_reader), then read into
dataclasses.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

import zeep
from zeep import xsd
from zeep.helpers import serialize_object

from .models import (
    BankAccount,
    CompanyDetails,
    Currency,
    Customer,
    Document,
    DocumentLine,
    NominalCode,
    Party,
    Payment,
    PaymentMethod,
    Project,
    ReceiptPage,
    Supplier,
    VatRate,
)

KF = "{KashFlow}"
# What .NET sends for a date it does not have; KashFlow reads it as "none".
NULL_DATETIME = dt.datetime(1, 1, 1)
ZERO_VALUES: dict[str, Any] = {
    "int": 0, "integer": 0, "long": 0, "short": 0, "decimal": Decimal(0), "boolean": False,
    "dateTime": NULL_DATETIME,
}

Raw = Mapping[str, Any]  # zeep's dicts, or kashflow.list_reader's records
P = TypeVar("P", bound=Party)


def to_datetime(value: dt.date | None) -> dt.datetime:
    """KashFlow's dates are dateTimes; ours go at midnight, without a zone."""
    if value is None:
        return NULL_DATETIME
    return dt.datetime.combine(value, dt.time())


def to_date(value: dt.datetime | None) -> dt.date | None:
    if value is None or value.replace(tzinfo=None) == NULL_DATETIME:
        return None
    return value.date()


def money(value: Decimal | int | float | str) -> Decimal:
    """A Decimal; floats go through their shortest repr, so 0.1 stays 0.1."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def text(value: str | None) -> str | None:
    """Empty strings are left out of the envelope rather than sent empty."""
    return value or None


class Builder:
    """Builds request objects from the WSDL's types."""

    def __init__(self, client: zeep.Client, home_currency: str = "GBP") -> None:
        self._client = client
        self._line_type = client.get_type(f"{KF}InvoiceLine")
        self._home = home_currency.upper()

    def blank(self, type_name: str, **values: Any) -> Any:
        """An object of a KashFlow type: required elements at zero, then values."""
        type_ = self._client.get_type(f"{KF}{type_name}")
        fields: dict[str, Any] = {}
        for name, element in type_.elements:
            if element.min_occurs and element.max_occurs == 1:
                fields[name] = ZERO_VALUES.get(element.type.name)
        unknown = set(values) - {name for name, _ in type_.elements}
        if unknown:
            raise TypeError(f"{type_name} has no element {', '.join(sorted(unknown))}")
        fields.update(values)
        return type_(**fields)

    def invoice(self, doc: Document) -> Any:
        """An Invoice for InsertInvoice or InsertReceipt, with its lines embedded."""
        return self.blank(
            "Invoice",
            InvoiceDate=to_datetime(doc.date),
            DueDate=to_datetime(doc.due_date),  # 0001-01-01: KashFlow applies payment terms
            CustomerID=doc.party_id,
            CustomerReference=text(doc.reference),
            ProjectID=doc.project_id,
            CurrencyCode=text(doc.currency_code),
            ExchangeRate=money(doc.exchange_rate),
            Lines={"anyType": [self.line(line, position, doc)
                               for position, line in enumerate(doc.lines, start=1)]},
        )

    def line(self, line: DocumentLine, position: int, doc: Document) -> xsd.AnyObject:
        # Lines is an array of anyType: each must carry xsi:type="InvoiceLine".
        value = self.blank(
            "InvoiceLine",
            Quantity=money(line.quantity),
            Description=text(line.description),
            Rate=money(line.rate),
            ChargeType=line.nominal_id,
            VatRate=money(line.vat_rate),
            VatAmount=money(line.vat_amount),
            Sort=line.sort or position,
            ProjID=line.project_id,
            # Our amounts are in the document's currency; tell KashFlow so
            # when that is not the account's own, or it would convert them again.
            ValuesInCurrency=1 if (doc.currency_code or self._home).upper() != self._home
            else None,
        )
        return xsd.AnyObject(self._line_type, value)

    def payment(self, payment: Payment) -> Any:
        return self.blank(
            "Payment",
            PayInvoice=payment.document_number,
            PayDate=to_datetime(payment.date),
            PayNote=text(payment.note),
            PayMethod=payment.method_id,
            PayAccount=payment.bank_account_id,
            PayAmount=money(payment.amount),
        )

    def supplier(self, supplier: Supplier) -> Any:
        return self.blank("Supplier", SupplierID=supplier.id, PostCode=text(supplier.postcode),
                          **self._party_fields(supplier))

    def customer(self, customer: Customer) -> Any:
        return self.blank("Customer", CustomerID=customer.id, Postcode=text(customer.postcode),
                          **self._party_fields(customer))

    @staticmethod
    def _party_fields(party: Party) -> dict[str, Any]:
        return {
            "Code": text(party.code), "Name": text(party.name), "Contact": text(party.contact),
            "Email": text(party.email), "Telephone": text(party.telephone),
            "Address1": text(party.address1), "Address2": text(party.address2),
            "Address3": text(party.address3), "Address4": text(party.address4),
            "VATNumber": text(party.vat_number), "PaymentTerms": party.payment_terms,
            "CurrencyID": party.currency_id,
        }


def guess_content_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


# Reading results -------------------------------------------------------------


def plain(value: Any) -> Any:
    """zeep objects to dicts and lists."""
    return serialize_object(value, target_cls=dict)


def items(array: Raw | None, element: str) -> list[Raw]:
    """The records of an ArrayOfX result; KashFlow sends nothing for an empty array."""
    if not array:
        return []
    return list(array.get(element) or [])


# Missing values read as KashFlow's zeros, so the dataclasses never hold None.
def _str(raw: Raw, name: str) -> str:
    return raw.get(name) or ""


def _int(raw: Raw, name: str) -> int:
    return int(raw.get(name) or 0)


def _dec(raw: Raw, name: str) -> Decimal:
    value = raw.get(name)
    return Decimal(value) if value is not None else Decimal(0)


def to_company(raw: Raw) -> CompanyDetails:
    return CompanyDetails(
        name=_str(raw, "CompanyName"),
        # KashFlow says "Yes" or "No" here, as a string.
        vat_registered=_str(raw, "VatRegistered").strip().lower() in ("yes", "true", "1"),
        vat_number=_str(raw, "VatRegistrationNumber"),
        currency_id=_int(raw, "CurrencyId"), currency_name=_str(raw, "CurrencyName"),
        currency_symbol=_str(raw, "CurrencySymbol"),
        address1=_str(raw, "Address1"), address2=_str(raw, "Address2"),
        address3=_str(raw, "Address3"), address4=_str(raw, "Address4"),
        postcode=_str(raw, "Postcode"), email=_str(raw, "PrimaryEmail"),
        telephone=_str(raw, "Telephone"), payment_terms=_int(raw, "PaymentTerms"),
    )


def to_nominal(raw: Raw) -> NominalCode:
    return NominalCode(
        id=_int(raw, "id"), code=_int(raw, "Code"), name=_str(raw, "Name"),
        type_id=_int(raw, "TypeID"), type_name=_str(raw, "TypeName"),
        classification_id=_int(raw, "ClassificationID"),
        classification_name=_str(raw, "ClassificationName"),
        vat_rate=_dec(raw, "VATRate"), archived=bool(raw.get("Archived")),
    )


def to_vat_rate(raw: Raw) -> VatRate:
    return VatRate(id=_int(raw, "ID"), name=_str(raw, "Name"), rate=_dec(raw, "Value"))


def to_party(cls: type[P], raw: Raw, id_field: str, postcode_field: str) -> P:
    return cls(
        id=_int(raw, id_field), code=_str(raw, "Code"), name=_str(raw, "Name"),
        contact=_str(raw, "Contact"), email=_str(raw, "Email"), telephone=_str(raw, "Telephone"),
        address1=_str(raw, "Address1"), address2=_str(raw, "Address2"),
        address3=_str(raw, "Address3"), address4=_str(raw, "Address4"),
        postcode=_str(raw, postcode_field), vat_number=_str(raw, "VATNumber"),
        payment_terms=_int(raw, "PaymentTerms"), currency_id=_int(raw, "CurrencyID"),
    )


def to_supplier(raw: Raw) -> Supplier:
    return to_party(Supplier, raw, "SupplierID", "PostCode")


def to_customer(raw: Raw) -> Customer:
    return to_party(Customer, raw, "CustomerID", "Postcode")


def to_bank_account(raw: Raw) -> BankAccount:
    return BankAccount(id=_int(raw, "AccountID"), name=_str(raw, "AccountName"),
                       code=_int(raw, "AccountCode"))


def to_project(raw: Raw) -> Project:
    # GetProjects answers BasicDatasets: the project's number is in Description.
    return Project(id=_int(raw, "ID"), name=_str(raw, "Name"), number=_str(raw, "Description"))


def to_payment_method(raw: Raw) -> PaymentMethod:
    return PaymentMethod(id=_int(raw, "MethodID"), name=_str(raw, "MethodName"))


def to_currency(raw: Raw) -> Currency:
    return Currency(id=_int(raw, "CurrencyId"), code=_str(raw, "CurrencyCode"),
                    exchange_rate=_dec(raw, "ExchangeRate"), is_default=bool(raw.get("isDefault")))


def to_line(raw: Raw) -> DocumentLine:
    return DocumentLine(
        quantity=_dec(raw, "Quantity"), description=_str(raw, "Description"),
        rate=_dec(raw, "Rate"),
        nominal_id=_int(raw, "ChargeType"), vat_rate=_dec(raw, "VatRate"),
        vat_amount=_dec(raw, "VatAmount"), project_id=_int(raw, "ProjID"), sort=_int(raw, "Sort"),
        line_id=_int(raw, "LineID"),
    )


def to_document(raw: Raw) -> Document:
    lines = [to_line(line) for line in items(raw.get("Lines"), "anyType") if line]
    return Document(
        party_id=_int(raw, "CustomerID"),
        date=to_date(raw.get("InvoiceDate")) or NULL_DATETIME.date(),
        lines=sorted(lines, key=lambda line: line.sort),
        due_date=to_date(raw.get("DueDate")),
        reference=_str(raw, "CustomerReference"),
        project_id=_int(raw, "ProjectID"),
        currency_code=_str(raw, "CurrencyCode") or "GBP",
        exchange_rate=_dec(raw, "ExchangeRate") or Decimal(1),
        number=_int(raw, "InvoiceNumber"),
        db_id=_int(raw, "InvoiceDBID"),
        party_code=_str(raw, "Customer"),
        party_name=_str(raw, "CustomerName"),
        net_amount=_dec(raw, "NetAmount"),
        vat_amount=_dec(raw, "VATAmount"),
        amount_paid=_dec(raw, "AmountPaid"),
        paid=bool(raw.get("Paid")),
        permalink=_str(raw, "PermaLink"),
    )


def to_receipt_page(raw: Raw) -> ReceiptPage:
    return ReceiptPage(
        documents=[to_document(r) for r in items(raw.get("GetReceiptsWithPagingResult"),
                                                 "Invoice")],
        page=_int(raw, "PageNumber"), total_pages=_int(raw, "TotalPages"),
        total_records=_int(raw, "TotalRecords"),
    )
