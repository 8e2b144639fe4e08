"""Setting a credit note against an invoice over REST.

KashFlow's Swagger lists GET and POST /internal/{objectType}/{objectId}/credits ("advance
payment, over-payment and credit note" credits available to a document) without their
shapes; the mock keeps to this (see the developer guide, "The REST API in the mock"):
- GET /internal/invoices/{Id}/credits: the customer's credit notes with something left,
  [{Id, Number, Type: "CreditNote", Amount}], Amount what is left to apply;
- POST with {"creditList": [{Id, Type: "CreditNote"}]}, one credit at a time: applied as
  far as the invoice still owes (as the SOAP side's applyCreditNoteToInvoice), 200 with
  [{Id, Number, Type, Amount}], Amount what was applied. A credit note of another customer
  or used up, or an invoice paid, is a 400 and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from .. import documents
from ..exceptions import KashFlowError
from ..models import Account
from ..schema import Record
from . import backend, blueprint
from .errors import invalid, json_body, not_found
from .login import current_account
from .shapes import number as json_number


@blueprint.get("/internal/invoices/<int:invoice_id>/credits")
def available_credits(invoice_id: int) -> Response:
    account = current_account()
    with backend().lock:
        invoice = find_invoice(account, invoice_id)
        return jsonify([credit_shape(c, c["AmountPaid"] - documents.gross(c))
                        for c in account.invoices
                        if c["CustomerID"] == invoice["CustomerID"]
                        and documents.gross(c) < 0 and c["AmountPaid"] > documents.gross(c)])


@blueprint.post("/internal/invoices/<int:invoice_id>/credits")
def apply_credits(invoice_id: int) -> Response:
    account = current_account()
    data = json_body()
    credits = data.get("creditList")
    if not isinstance(credits, list) or len(credits) != 1:
        # (So that a refusal never leaves half a list applied.)
        raise invalid("creditList must hold one credit: apply one credit at a time.")
    id_ = credit_id(credits[0])
    state = backend()
    with state.lock:
        invoice = find_invoice(account, invoice_id)
        paid_before = invoice["AmountPaid"]
        try:
            documents.apply_credit_note(account, invoice_id, id_)
        except KashFlowError as error:  # refused before anything was written
            raise invalid(error.detail) from None
        state.commit(account)
        credit = account.find("invoices", "InvoiceDBID", id_)
        assert credit is not None  # applied above
        return jsonify([credit_shape(credit, invoice["AmountPaid"] - paid_before)])


def find_invoice(account: Account, invoice_id: int) -> Record:
    invoice = account.find("invoices", "InvoiceDBID", invoice_id)
    if invoice is None:
        raise not_found(f"There is no invoice with the id {invoice_id}.")
    return invoice


def credit_id(item: Any) -> int:
    where = "creditList[1]"
    if not isinstance(item, dict):
        raise invalid(f"{where} must be an object.")
    if item.get("Type", "CreditNote") != "CreditNote":
        raise invalid(f"{where}: only credit notes can be applied here.")
    value = item.get("Id")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(f"{where}: Id must be the credit note's id.")
    return value


def credit_shape(credit: Record, amount: Any) -> dict[str, Any]:
    return {"Id": credit["InvoiceDBID"], "Number": credit["InvoiceNumber"],
            "Type": "CreditNote", "Amount": json_number(amount)}
