"""Purchases and Sales: lists of documents, one document with its lines, payments and files."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, redirect, render_template, send_file, url_for
from werkzeug.wrappers import Response as BaseResponse

from .currencies import home_amounts, home_code
from .models import Account
from .pages_common import CENT, account, backend, decimal
from .schema import Record
from .values import NULL_DATE

SAFE_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\"]')


@dataclass(frozen=True)
class Side:
    """What differs between Purchases and Sales pages."""

    name: str  # "purchases" or "sales": the URL and the navigation tab
    collection: str  # Account attribute: "receipts" or "invoices"
    noun: str
    credit_noun: str
    party: str  # "Supplier" or "Customer"
    payments: str  # Payment "kind" and key into Account.payment_methods
    file_key: str  # what an attachment names its document's number by


PURCHASES = Side("purchases", "receipts", "Purchase invoice", "Purchase credit note",
                 "Supplier", "receipt", "ReceiptNo")
SALES = Side("sales", "invoices", "Sales invoice", "Sales credit note", "Customer", "invoice",
             "InvoiceNo")

blueprint = Blueprint("documents", __name__)


@blueprint.get("/purchases")
def purchases() -> str:
    return document_list(PURCHASES)


@blueprint.get("/sales")
def sales() -> str:
    return document_list(SALES)


@blueprint.get("/purchases/<int:number>")
def purchase(number: int) -> str:
    return document_page(PURCHASES, number)


@blueprint.get("/sales/<int:number>")
def sale(number: int) -> str:
    return document_page(SALES, number)


@blueprint.get("/purchases/<int:number>/files/<int:attachment_id>")
def purchase_file(number: int, attachment_id: int) -> BaseResponse:
    return document_file(PURCHASES, number, attachment_id)


@blueprint.get("/sales/<int:number>/files/<int:attachment_id>")
def sale_file(number: int, attachment_id: int) -> BaseResponse:
    return document_file(SALES, number, attachment_id)


def document_file(side: Side, number: int, attachment_id: int) -> BaseResponse:
    with backend().lock:
        found = next((a for a in account().attachments if a.get(side.file_key) == number
                      and a.get("AttachmentID") == attachment_id), None)
        if found is None:
            abort(404, f"{side.noun} {number} has no file {attachment_id}.")
        encoded, filename = found.get("Base64String") or "", found.get("Filename") or "file"
        content_type = found.get("ContentType") or ""
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        abort(404, "This file cannot be read.")
    if not SAFE_CONTENT_TYPE.match(content_type):
        content_type = "application/octet-stream"
    # Always a download: the file came from an app and must not run as a page of this site.
    response = send_file(io.BytesIO(content), mimetype=content_type, as_attachment=True,
                         download_name=UNSAFE_FILENAME.sub("_", filename))
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


# A document's PermaLink (/receipts/N, /invoices/N) leads to its page.


@blueprint.get("/receipts/<int:number>")
def receipt_link(number: int) -> BaseResponse:
    return redirect(url_for(".purchase", number=number))


@blueprint.get("/invoices/<int:number>")
def invoice_link(number: int) -> BaseResponse:
    return redirect(url_for(".sale", number=number))


def document_list(side: Side) -> str:
    with backend().lock:
        docs = sorted(getattr(account(), side.collection),
                      key=lambda d: (d.get("InvoiceDate") or NULL_DATE, d.get("InvoiceNumber")),
                      reverse=True)
        home = home_code(account())
        return render_template("document_list.html", section=side.name, side=side,
                               rows=[summary(side, d, home) for d in docs])


def document_page(side: Side, number: int) -> str:
    with backend().lock:
        current = account()
        doc = current.find(side.collection, "InvoiceNumber", number)
        if doc is None:
            abort(404, f"There is no {side.noun.lower()} or credit note with the number "
                       f"{number}.")
        return render_template(
            "document.html", section=side.name, side=side,
            doc=summary(side, doc, home_code(current)),
            lines=line_rows(current, doc), payments=payment_rows(current, side, number),
            credits=credit_rows(current, doc) if side is SALES else None,
            files=[a for a in current.attachments if a.get(side.file_key) == number],
            file_endpoint=f".{'purchase' if side is PURCHASES else 'sale'}_file")


def amounts(doc: Record) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Net, VAT, total and amount paid (or applied); a credit note's are negative."""
    net, vat = decimal(doc.get("NetAmount")), decimal(doc.get("VATAmount"))
    return net, vat, net + vat, decimal(doc.get("AmountPaid"))


def summary(side: Side, doc: Record, home: str) -> dict[str, Any]:
    """What the pages show of a document; a foreign one's home amounts too (home: the
    account's currency)."""
    net, vat, total, paid = amounts(doc)
    number = doc.get("InvoiceNumber")
    credit = total < 0
    currency = doc.get("CurrencyCode") or home
    in_home = home_amounts({"NetAmount": net, "VATAmount": vat,
                            "ExchangeRate": doc.get("ExchangeRate")})
    return {
        "home": home, "foreign": currency != home,
        "home_net": in_home["HomeNetAmount"], "home_vat": in_home["HomeVATAmount"],
        "home_total": in_home["HomeGrossAmount"],
        "number": number, "credit": credit, "title": side.credit_noun if credit else side.noun,
        "date": doc.get("InvoiceDate"), "due": doc.get("DueDate"),
        "party": doc.get("CustomerName") or doc.get("Customer") or "",
        "party_code": doc.get("Customer") or "", "reference": doc.get("CustomerReference") or "",
        "currency": currency, "exchange_rate": doc.get("ExchangeRate"),
        "net": net, "vat": vat, "total": total, "paid": paid, "outstanding": total - paid,
        "status": status(doc, credit, total, paid),
        "url": url_for(f".{'purchase' if side is PURCHASES else 'sale'}", number=number),
    }


def status(doc: Record, credit: bool, total: Decimal, paid: Decimal) -> str:
    settled = bool(doc.get("Paid")) or (total != 0 and abs(paid) >= abs(total))
    if credit:
        return "Applied" if settled else "Part applied" if paid else "Unapplied"
    if settled:
        return "Paid"
    if paid:
        return "Part paid"
    due = doc.get("DueDate")
    if isinstance(due, dt.datetime) and due != NULL_DATE and due.date() < dt.date.today():
        return "Overdue"
    return "Unpaid"


def line_rows(current: Account, doc: Record) -> list[dict[str, Any]]:
    nominals = {n.get("id"): n for n in current.nominal_codes}
    projects = {p.get("ID"): p for p in current.projects}
    rows = []
    for line in sorted(doc.get("Lines") or [], key=lambda ln: ln.get("Sort") or 0):
        quantity, rate = decimal(line.get("Quantity")), decimal(line.get("Rate"))
        net, vat = (quantity * rate).quantize(CENT), decimal(line.get("VatAmount"))
        nominal = nominals.get(line.get("ChargeType"))
        project = projects.get(line.get("ProjID")) if line.get("ProjID") else None
        rows.append({
            "quantity": quantity, "description": line.get("Description") or "",
            "nominal": f"{nominal.get('Code')} {nominal.get('Name')}" if nominal
            else ("" if not line.get("ChargeType") else f"Nominal {line.get('ChargeType')}"),
            "project": project.get("Name") if project else "",
            "rate": rate, "net": net, "vat_rate": line.get("VatRate"), "vat": vat,
            "total": net + vat,
        })
    return rows


def payment_rows(current: Account, side: Side, number: int) -> list[dict[str, Any]]:
    methods = {m.get("MethodID"): m.get("MethodName")
               for m in current.payment_methods.get(side.payments, [])}
    banks = {b.get("AccountID"): b for b in current.bank_accounts}
    rows = []
    for payment in current.payments:
        if payment.get("kind") != side.payments or payment.get("PayInvoice") != number:
            continue
        bank = banks.get(payment.get("PayAccount"))
        rows.append({
            "date": payment.get("PayDate"), "note": payment.get("PayNote") or "",
            "method": methods.get(payment.get("PayMethod")) or "",
            "bank": f"{bank.get('AccountName')} ({bank.get('AccountCode')})" if bank else "",
            "amount": payment.get("PayAmount"),
        })
    return sorted(rows, key=lambda r: r["date"] or NULL_DATE)


def credit_rows(current: Account, doc: Record) -> list[dict[str, Any]]:
    """Credit notes applied to an invoice or, for a credit note, the invoices it paid."""
    own_id = doc.get("InvoiceDBID")
    if not own_id:
        return []
    by_id = {d.get("InvoiceDBID"): d for d in current.invoices if d.get("InvoiceDBID")}
    rows = []
    for allocation in current.credit_allocations:
        if allocation.get("InvoiceDBID") == own_id:
            other, label = by_id.get(allocation.get("CreditNoteDBID")), "Credit note"
        elif allocation.get("CreditNoteDBID") == own_id:
            other, label = by_id.get(allocation.get("InvoiceDBID")), "Sales invoice"
        else:
            continue
        number = other.get("InvoiceNumber") if other else None
        rows.append({"label": label, "number": number, "amount": allocation.get("Amount"),
                     "url": url_for(".sale", number=number) if number else None})
    return rows
