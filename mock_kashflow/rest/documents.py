"""Purchases and invoices over REST: create (lines and payments in one call), replace (PUT),
read one, list by supplier or customer, delete. A purchase is the SOAP side's receipt: the
same record."""

from __future__ import annotations

from flask import Response, jsonify, request

from .. import documents
from ..documents import INVOICE, RECEIPT, Kind
from ..exceptions import KashFlowError
from ..models import Account
from . import backend, blueprint, shapes
from .errors import RestError, invalid, json_body, not_found
from .login import current_account
from .paging import paged
from .reading import read_document

KINDS = {"purchases": RECEIPT, "invoices": INVOICE}
PARTY_FILTERS = {"purchases": "suppliercode", "invoices": "customercode"}


def kind_of(resource: str) -> Kind:
    return KINDS[resource]


@blueprint.post("/purchases", defaults={"resource": "purchases"})
@blueprint.post("/invoices", defaults={"resource": "invoices"})
def create(resource: str) -> tuple[Response, int]:
    account = current_account()
    kind = kind_of(resource)
    data = json_body()
    state = backend()
    with state.lock:
        sent = read_document(account, kind, data)
        try:
            # Every payment is checked before anything is written.
            for payment in sent.payments:
                documents.check_payment(account, kind, payment)
            number = documents.insert_document(account, kind, sent.document,
                                               state.next_dbid, sent.number)
            for payment in sent.payments:
                documents.insert_payment(account, kind, {**payment, "PayInvoice": number},
                                         state.next_dbid)
        except KashFlowError as error:  # refused before anything was written
            raise invalid(error.detail) from None
        state.commit(account)
        return jsonify(shown(account, kind, number)), 201


@blueprint.put("/purchases/<int:number>", defaults={"resource": "purchases"})
@blueprint.put("/invoices/<int:number>", defaults={"resource": "invoices"})
def replace(resource: str, number: int) -> Response:
    """A full replacement, as KashFlow's PUT is: the document becomes what is sent; its
    payments are those sent, the ones with an Id kept (with the values sent), the others
    added, the ones left out removed. Everything is checked before anything changes. The
    mock's choice: a Number other than the document's is refused (KashFlow renumbers)."""
    account = current_account()
    kind = kind_of(resource)
    data = json_body()
    state = backend()
    with state.lock:
        held(account, kind, number)
        sent = read_document(account, kind, data)
        if sent.number not in (None, number):
            raise invalid(f"Number cannot change: this is number {number}.")
        current = {p["PayID"]: p for p in payments_of(account, kind, number)}
        unknown = [i for i in sent.payment_ids if i and i not in current]
        if unknown:
            raise invalid(f"This document has no payment with the Id {unknown[0]}.")
        try:
            for payment in sent.payments:
                documents.check_payment(account, kind, payment)
            doc = documents.replace_document(account, kind, number, sent.document,
                                             state.next_dbid)
        except KashFlowError as error:  # refused before anything was written
            raise invalid(error.detail) from None
        kept = set(sent.payment_ids)
        for pay_id, payment in current.items():
            if pay_id not in kept:
                documents.remove_payment(account, kind, doc, payment)
        for pay_id, payment in zip(sent.payment_ids, sent.payments, strict=True):
            if pay_id:
                documents.remove_payment(account, kind, doc, current[pay_id])
            documents.insert_payment(account, kind, {**payment, "PayInvoice": number},
                                     state.next_dbid, pay_id or None)
        state.commit(account)
        return jsonify(shown(account, kind, number))


@blueprint.get("/purchases/<int:number>", defaults={"resource": "purchases"})
@blueprint.get("/invoices/<int:number>", defaults={"resource": "invoices"})
def read_one(resource: str, number: int) -> Response:
    account = current_account()
    kind = kind_of(resource)
    with backend().lock:
        return jsonify(shown(account, kind, number))


@blueprint.get("/purchases", defaults={"resource": "purchases"})
@blueprint.get("/invoices", defaults={"resource": "invoices"})
def list_documents(resource: str) -> Response:
    account = current_account()
    kind = kind_of(resource)
    code = request.args.get(PARTY_FILTERS[resource])
    with backend().lock:
        rows = [shapes.summary(account, kind.collection, r)
                for r in getattr(account, kind.collection)
                if code is None or r.get("Customer") == code]
    return jsonify(paged(sorted(rows, key=lambda r: r["Number"])))


@blueprint.delete("/purchases/<int:number>", defaults={"resource": "purchases"})
@blueprint.delete("/invoices/<int:number>", defaults={"resource": "invoices"})
def delete(resource: str, number: int) -> tuple[str, int]:
    account = current_account()
    kind = kind_of(resource)
    state = backend()
    with state.lock:
        held(account, kind, number)
        documents.delete_document(account, kind, number)
        state.commit(account)
    return "", 204


def shown(account: Account, kind: Kind, number: int) -> dict:
    record = held(account, kind, number)
    return shapes.document(account, kind.collection, record,
                           payments_of(account, kind, number))


def payments_of(account: Account, kind: Kind, number: int) -> list[dict]:
    return [p for p in account.payments
            if p.get("kind") == kind.noun and p["PayInvoice"] == number]


def held(account: Account, kind: Kind, number: int) -> dict:
    """The account's purchase or invoice with this number, or a 404."""
    record = account.find(kind.collection, "InvoiceNumber", number)
    if record is None:
        raise missing(kind, number)
    return record


def missing(kind: Kind, number: int) -> RestError:
    noun = "purchase" if kind is RECEIPT else "invoice"
    return not_found(f"There is no {noun} with the number {number}.")
