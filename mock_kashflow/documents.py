"""Purchase receipts and sales invoices: KashFlow's rules for inserting, paying and crediting.

Receipts and invoices share the Invoice type; for a receipt, CustomerID is the
supplier's id. Credit notes are the same documents with negative values.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from . import currencies
from .exceptions import KashFlowError
from .limits import check_amount, check_date, check_size, due_date
from .models import Account
from .schema import Record
from .values import NULL_DATE

CENT = Decimal("0.01")
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Kind:
    """What differs between the purchase side and the sales side."""

    collection: str  # "receipts" or "invoices"
    noun: str  # how KashFlow names the document in its messages
    party_collection: str
    party_id: str
    party_noun: str
    methods: str  # key into Account.payment_methods
    file_key: str  # what an attachment names its document's number by


RECEIPT = Kind("receipts", "receipt", "suppliers", "SupplierID", "supplier", "receipt",
               "ReceiptNo")
INVOICE = Kind("invoices", "invoice", "customers", "CustomerID", "customer", "invoice",
               "InvoiceNo")


def gross(doc: Record) -> Decimal:
    return doc["NetAmount"] + doc["VATAmount"]


def insert_document(account: Account, kind: Kind, doc: Record | None,
                    next_dbid: Callable[[], int], number: int | None = None) -> int:
    """Check everything first, then write: a refused document leaves the account as it was.
    number: the document's number when the caller chose one (REST), else the next."""
    if number is not None and (number < 1 or account.find(kind.collection, "InvoiceNumber",
                                                          number)):
        raise KashFlowError(f"The {kind.noun} number {number} is already used")
    stored = checked_document(account, kind, doc)
    if number is None:
        number = account.issue_number(kind.collection)
    else:
        account.note_number(kind.collection, number)
    stored.update(InvoiceDBID=next_dbid(), InvoiceNumber=number, Paid=0,
                  AmountPaid=Decimal(0), PermaLink=f"/{kind.collection}/{number}")
    for line in stored["Lines"]:
        line["LineID"] = next_dbid()
    account.add(kind.collection, stored)
    return stored["InvoiceNumber"]


def replace_document(account: Account, kind: Kind, number: int, doc: Record | None,
                     next_dbid: Callable[[], int]) -> Record:
    """The document with this number made doc (REST's PUT), checked first; its number, id
    and payments stay. The caller deals with the payments."""
    current = find_document(account, kind, number)
    stored = checked_document(account, kind, doc)
    stored.update({key: current[key] for key in ("InvoiceDBID", "InvoiceNumber", "AmountPaid",
                                                 "PermaLink")})
    for line in stored["Lines"]:
        line["LineID"] = next_dbid()
    current.clear()
    current.update(stored)
    record_paid(current, Decimal(0))
    account.changed(kind.collection, current)
    return current


def checked_document(account: Account, kind: Kind, doc: Record | None) -> Record:
    """doc, checked whole, with what KashFlow works out from it: its supplier or customer,
    due date, currency, lines in that currency, net and VAT totals."""
    if not doc:
        raise KashFlowError(f"No {kind.noun} was sent")
    party = find_party(account, kind, doc)
    lines = check_lines(account, kind, doc.get("Lines") or [])
    if doc["ProjectID"] and not account.find("projects", "ID", doc["ProjectID"]):
        raise KashFlowError(f"There is no project with the ID {doc['ProjectID']}")
    if doc["InvoiceDate"] == NULL_DATE:
        raise KashFlowError(f"The {kind.noun} date is missing")
    date = check_date(doc["InvoiceDate"], f"{kind.noun} date")
    due = doc["DueDate"]
    if due == NULL_DATE:
        due = due_date(date, party.get("PaymentTerms") or 0, kind.party_noun)
    check_date(due, "due date")
    currency, exchange_rate = currencies.document_currency(account, doc)
    currencies.check_party_currency(account, party, currency, kind.party_noun)
    lines = [currencies.in_currency(line, exchange_rate) for line in lines]
    net = check_size(sum((line_net(ln) for ln in lines), Decimal(0)),
                     f"The {kind.noun}'s net total")
    vat = check_size(sum((ln["VatAmount"] for ln in lines), Decimal(0)),
                     f"The {kind.noun}'s VAT total")
    return {**doc, "DueDate": due, "CustomerID": party[kind.party_id],
            "Customer": party["Code"], "CustomerName": party["Name"], "Lines": lines,
            "NetAmount": net, "VATAmount": vat, "CurrencyCode": currency,
            "ExchangeRate": exchange_rate}


def line_net(line: Record) -> Decimal:
    """Quantity times rate, to the penny (checked in range by check_lines)."""
    return (line["Quantity"] * line["Rate"]).quantize(CENT)


def find_party(account: Account, kind: Kind, doc: Record) -> Record:
    if doc["CustomerID"]:
        party = account.find(kind.party_collection, kind.party_id, doc["CustomerID"])
        if party is None:
            raise KashFlowError(f"There is no {kind.party_noun} with the ID {doc['CustomerID']}")
        return party
    if doc.get("Customer"):
        party = account.find(kind.party_collection, "Code", doc["Customer"])
        if party is None:
            raise KashFlowError(f"There is no {kind.party_noun} with the code {doc['Customer']}")
        return party
    raise KashFlowError(f"The {kind.noun} has no {kind.party_noun}: set CustomerID "
                        f"to the {kind.party_noun}'s ID")


def check_lines(account: Account, kind: Kind, lines: list[Record | None]) -> list[Record]:
    if not lines:
        raise KashFlowError(f"The {kind.noun} has no lines")
    nominal_ids = {n["id"] for n in account.nominal_codes}
    rates = {r["Value"] for r in account.vat_rates}
    project_ids = {p["ID"] for p in account.projects}
    checked = []
    for number, line in enumerate(lines, start=1):
        where = f"Line {number}"
        if not line or line.get("_type") != "InvoiceLine":
            raise KashFlowError(f"{where}: lines must be sent as anyType elements with "
                                'xsi:type="InvoiceLine"')
        if line["ChargeType"] and line["ChargeType"] not in nominal_ids:
            raise KashFlowError(f"{where}: there is no nominal code with the ID "
                                f"{line['ChargeType']}")
        if line["VatRate"] != -1 and line["VatRate"] not in rates:
            raise KashFlowError(f"{where}: {line['VatRate']}% is not one of this account's "
                                "VAT rates (use -1 for exempt)")
        if line["VatRate"] == -1 and line["VatAmount"]:
            raise KashFlowError(f"{where}: an exempt line (VAT rate -1) cannot carry VAT")
        check_size(line["Quantity"], f"{where}: Quantity")
        for name in ("Rate", "VatAmount"):
            check_amount(line[name], f"{where}: {name}")
        # Exact before rounding: a product past the limit must not be rounded into it.
        with localcontext(prec=80):
            check_size(line["Quantity"] * line["Rate"], f"{where}: the net amount")
        if line["Sort"] < 0:
            raise KashFlowError(f"{where}: Sort must be 0 or more, not {line['Sort']}")
        if line["ProjID"] and line["ProjID"] not in project_ids:
            raise KashFlowError(f"{where}: there is no project with the ID {line['ProjID']}")
        checked.append({**line, "Sort": line["Sort"] or number})
    return checked


def find_document(account: Account, kind: Kind, number: int) -> Record:
    doc = account.find(kind.collection, "InvoiceNumber", number)
    if doc is None:
        raise KashFlowError(f"There is no {kind.noun} with the number {number}")
    return doc


def insert_payment(account: Account, kind: Kind, payment: Record | None,
                   next_dbid: Callable[[], int], pay_id: int | None = None) -> int:
    """pay_id: the payment's id when it is one kept by a REST PUT, else a new one."""
    if not payment:
        raise KashFlowError("No payment was sent")
    doc = find_document(account, kind, payment["PayInvoice"])
    amount, pay_date = check_payment(account, kind, payment)
    stored = {**payment, "PayID": pay_id or next_dbid(), "kind": kind.noun,
              "PayDate": pay_date}
    account.add("payments", stored)
    record_paid(doc, amount)
    account.changed(kind.collection, doc)
    return stored["PayID"]


def remove_payment(account: Account, kind: Kind, doc: Record, payment: Record) -> None:
    account.remove("payments", payment)
    record_paid(doc, -payment["PayAmount"])
    account.changed(kind.collection, doc)


def check_payment(account: Account, kind: Kind, payment: Record) -> tuple[Decimal, dt.datetime]:
    """A payment's amount and date, once its bank account, method, amount and date are
    checked (its document is the caller's to find)."""
    if not account.find("bank_accounts", "AccountID", payment["PayAccount"]):
        raise KashFlowError(f"There is no bank account with the ID {payment['PayAccount']}")
    methods = {m["MethodID"] for m in account.payment_methods[kind.methods]}
    if payment["PayMethod"] not in methods:
        raise KashFlowError(f"There is no payment method with the ID {payment['PayMethod']}")
    amount = check_amount(payment["PayAmount"], "The payment amount")
    if not amount:
        raise KashFlowError("The payment amount must not be 0")
    pay_date = payment["PayDate"]
    if pay_date == NULL_DATE:
        pay_date = dt.datetime.now().replace(microsecond=0)
    check_date(pay_date, "payment date")
    return amount, pay_date


def record_paid(doc: Record, amount: Decimal) -> None:
    doc["AmountPaid"] += amount
    doc["Paid"] = int(abs(doc["AmountPaid"]) >= abs(gross(doc)))


def apply_credit_note(account: Account, invoice_id: int, credit_id: int) -> bool:
    invoice = account.find("invoices", "InvoiceDBID", invoice_id)
    credit = account.find("invoices", "InvoiceDBID", credit_id)
    if invoice is None:
        raise KashFlowError(f"There is no invoice with the ID {invoice_id}")
    if credit is None or gross(credit) >= 0:
        raise KashFlowError(f"There is no credit note with the ID {credit_id}")
    if credit["CustomerID"] != invoice["CustomerID"]:
        raise KashFlowError("The credit note and the invoice belong to different customers")
    if credit["CurrencyCode"] != invoice["CurrencyCode"]:
        raise KashFlowError(f"The credit note is in {credit['CurrencyCode']} and the invoice "
                            f"in {invoice['CurrencyCode']}")
    # Applying a credit is two payments that sum to zero: the invoice is paid by
    # the amount, the (negative) credit note by minus the amount.
    available = credit["AmountPaid"] - gross(credit)
    outstanding = gross(invoice) - invoice["AmountPaid"]
    amount = min(available, outstanding)
    if amount <= 0:
        raise KashFlowError("Nothing is left to apply: the credit note is used up or the "
                            "invoice is already paid")
    record_paid(invoice, amount)
    record_paid(credit, -amount)
    account.changed("invoices", invoice)
    account.changed("invoices", credit)
    account.add("credit_allocations",
                {"InvoiceDBID": invoice_id, "CreditNoteDBID": credit_id, "Amount": amount})
    return True


def delete_document(account: Account, kind: Kind, number: int) -> int:
    doc = find_document(account, kind, number)
    account.remove(kind.collection, doc)
    for payment in [p for p in account.payments
                    if p.get("kind") == kind.noun and p["PayInvoice"] == number]:
        account.remove("payments", payment)
    for attachment in [a for a in account.attachments if a.get(kind.file_key) == number]:
        account.remove("attachments", attachment)
    # Its notes (REST's), which name it by REST's word for it.
    rest_name = "purchases" if kind.collection == "receipts" else "invoices"
    for note in [n for n in account.notes
                 if n["ObjectType"] == rest_name and n["ObjectNumber"] == number]:
        account.remove("notes", note)
    return 1


def attach_file(account: Account, kind: Kind, number: int, data: str | None,
                content_type: str | None, filename: str | None, extension: str | None,
                size: str | None, next_dbid: Callable[[], int]) -> int:
    find_document(account, kind, number)
    if not filename:
        raise KashFlowError("The file name is missing")
    try:
        content = base64.b64decode(data or "", validate=True)
    except (binascii.Error, ValueError):
        raise KashFlowError("The file is not valid base64") from None
    if not content:
        raise KashFlowError("The file is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise KashFlowError(f"The file is larger than {MAX_ATTACHMENT_BYTES // 1048576} MB")
    attachment_id = next_dbid()
    account.add("attachments", {
        "AttachmentID": attachment_id, kind.file_key: number, "Filename": filename,
        "ContentType": content_type or "application/octet-stream",
        "FileExtension": extension or filename.rpartition(".")[2], "FileSize": size or "",
        "Size": len(content), "Base64String": data,
        "UploadDate": dt.datetime.now().replace(microsecond=0).isoformat(),
    })
    return attachment_id
