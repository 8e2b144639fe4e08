"""Notes on a document or a partner over REST (the SOAP API has none).

KashFlow's Swagger gives `/{objectType}/{objectNumber}/notes` with objectType an integer
(1 Customers, 2 Suppliers, 3 Invoices, 5 Purchases), and clients use the plural names; the
mock takes both (see the developer guide, "The REST API in the mock"). A document is named
by its number, a supplier or customer by its Id. A note is {Number, Text, Date,
LastModifiedBy}, Number counting from 1 on each record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, jsonify

from ..models import Account
from ..schema import Record
from . import backend, blueprint
from .errors import invalid, json_body, not_found
from .login import current_account
from .shapes import date_text

# objectType, by name and by KashFlow's number: (collection, key, noun)
OBJECTS = {
    "customers": ("customers", "CustomerID", "customer"),
    "suppliers": ("suppliers", "SupplierID", "supplier"),
    "invoices": ("invoices", "InvoiceNumber", "invoice"),
    "purchases": ("receipts", "InvoiceNumber", "purchase"),
}
NUMBERED = {"1": "customers", "2": "suppliers", "3": "invoices", "5": "purchases"}
MAX_TEXT = 4000


def target(account: Account, object_type: str, number: int) -> tuple[str, int]:
    """The (objectType, number) of a record that exists, or a 404."""
    name = NUMBERED.get(object_type, object_type.lower())
    if name not in OBJECTS:
        raise not_found(f"Notes are kept on customers, suppliers, invoices and purchases, "
                        f"not on {object_type}.")
    collection, key, noun = OBJECTS[name]
    if account.find(collection, key, number) is None:
        raise not_found(f"There is no {noun} {number}.")
    return name, number


def notes_of(account: Account, name: str, number: int) -> list[Record]:
    return [n for n in account.notes if n["ObjectType"] == name and n["ObjectNumber"] == number]


def shown(note: Record) -> dict[str, Any]:
    return {key: note[key] for key in ("Number", "Text", "Date", "LastModifiedBy")}


def text_of(data: dict[str, Any]) -> str:
    text = data.get("Text")
    if not isinstance(text, str) or not text.strip():
        raise invalid("Text is required.")
    if len(text) > MAX_TEXT:
        raise invalid(f"Text must be at most {MAX_TEXT} characters.")
    return text


@blueprint.get("/<object_type>/<int:number>/notes")
def list_notes(object_type: str, number: int) -> Response:
    account = current_account()
    with backend().lock:
        name, number = target(account, object_type, number)
        return jsonify([shown(n) for n in notes_of(account, name, number)])


@blueprint.post("/<object_type>/<int:number>/notes")
def add_note(object_type: str, number: int) -> tuple[Response, int]:
    account = current_account()
    text = text_of(json_body())
    state = backend()
    with state.lock:
        name, number = target(account, object_type, number)
        existing = notes_of(account, name, number)
        note = account.add("notes", {
            "NoteID": state.next_dbid(), "ObjectType": name, "ObjectNumber": number,
            "Number": max((n["Number"] for n in existing), default=0) + 1, "Text": text,
            "Date": date_text(dt.datetime.now().replace(microsecond=0)),
            "LastModifiedBy": account.username})
        state.commit(account)
        return jsonify(shown(note)), 201


def find_note(account: Account, object_type: str, number: int, note_number: int) -> Record:
    name, number = target(account, object_type, number)
    note = next((n for n in notes_of(account, name, number) if n["Number"] == note_number),
                None)
    if note is None:
        raise not_found(f"There is no note {note_number} on {name[:-1]} {number}.")
    return note


@blueprint.get("/<object_type>/<int:number>/notes/<int:note_number>")
def read_note(object_type: str, number: int, note_number: int) -> Response:
    account = current_account()
    with backend().lock:
        return jsonify(shown(find_note(account, object_type, number, note_number)))


@blueprint.put("/<object_type>/<int:number>/notes/<int:note_number>")
def change_note(object_type: str, number: int, note_number: int) -> Response:
    account = current_account()
    text = text_of(json_body())
    state = backend()
    with state.lock:
        note = find_note(account, object_type, number, note_number)
        note.update(Text=text, Date=date_text(dt.datetime.now().replace(microsecond=0)),
                    LastModifiedBy=account.username)
        account.changed("notes", note)
        state.commit(account)
        return jsonify(shown(note))


@blueprint.delete("/<object_type>/<int:number>/notes/<int:note_number>")
def delete_note(object_type: str, number: int, note_number: int) -> tuple[str, int]:
    account = current_account()
    state = backend()
    with state.lock:
        account.remove("notes", find_note(account, object_type, number, note_number))
        state.commit(account)
    return "", 204

