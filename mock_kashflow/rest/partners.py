"""Creating a supplier or a customer over REST: POST /suppliers and POST /customers answer
201 with the whole record. The body is read as KashFlow's REST API names it (a supplier's
one Address and VatNumber, a customer's Addresses[] and VATNumber) into the record the SOAP
side keeps, and stored by the same rules (mock_kashflow/partners.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from .. import partners
from ..exceptions import KashFlowError
from ..models import Account
from ..schema import Record, kashflow_schema
from . import backend, blueprint, shapes
from .errors import invalid, json_body
from .login import current_account
from .reading import text, whole

JSON = dict[str, Any]
# Per collection: the schema's type, the noun, REST's flag, its VAT number and address fields.
SHAPES = {
    "suppliers": ("Supplier", "supplier", "CreateSupplierCodeIfDuplicate", "VatNumber",
                  "PostCode"),
    "customers": ("Customer", "customer", "CreateCustomerCodeIfDuplicate", "VATNumber",
                  "Postcode"),
}


@blueprint.post("/suppliers", defaults={"collection": "suppliers"})
@blueprint.post("/customers", defaults={"collection": "customers"})
def create_party(collection: str) -> tuple[Response, int]:
    account = current_account()
    data = json_body()
    flag = SHAPES[collection][2]
    new_code_if_taken = data.get(flag, False)
    if not isinstance(new_code_if_taken, bool):
        raise invalid(f"{flag} must be true or false.")
    state = backend()
    with state.lock:
        record = read_party(account, collection, data)
        try:
            stored = partners.insert_party(account, collection, SHAPES[collection][1], record,
                                           state.next_dbid, new_code_if_taken)
        except KashFlowError as error:
            raise invalid(error.detail) from None
        state.commit(account)
        shape = shapes.supplier if collection == "suppliers" else shapes.customer
        return jsonify(shape(account, stored)), 201


def read_party(account: Account, collection: str, data: JSON) -> Record:
    type_name, noun, _, vat_field, postcode_field = SHAPES[collection]
    address = (data.get("Address") if collection == "suppliers"
               else next(iter(data.get("Addresses") or []), None)) or {}
    contact = next(iter(data.get("Contacts") or []), None) or {}
    terms = data.get("PaymentTerms") or {}
    for name, value in (("Address", address), ("Contacts[0]", contact),
                        ("PaymentTerms", terms), ("Currency", data.get("Currency") or {})):
        if not isinstance(value, dict):
            raise invalid(f"{name} must be an object.")
    return kashflow_schema().blank(
        type_name, Code=text(data.get("Code"), "Code"), Name=text(data.get("Name"), "Name"),
        Contact=text(contact.get("Name"), "Contacts[0].Name"),
        Email=text(contact.get("Email"), "Contacts[0].Email"),
        Telephone=text(contact.get("Telephone"), "Contacts[0].Telephone"),
        Address1=text(address.get("Line1"), "Address.Line1"),
        Address2=text(address.get("Line2"), "Address.Line2"),
        Address3=text(address.get("Line3"), "Address.Line3"),
        Address4=text(address.get("Line4"), "Address.Line4"),
        **{postcode_field: text(address.get("PostCode"), "Address.PostCode")},
        VATNumber=text(data.get(vat_field), vat_field),
        PaymentTerms=whole(terms.get("Days"), "PaymentTerms.Days"),
        CurrencyID=currency_id(account, (data.get("Currency") or {}).get("Code"), noun))


def currency_id(account: Account, code: Any, noun: str) -> int:
    """The id of the account's currency with this code (0: the home currency)."""
    if code in (None, ""):
        return 0
    found = next((c for c in account.currencies if c["CurrencyCode"] == code), None)
    if found is None:
        raise invalid(f"The {noun}'s currency {code} is not one of the account's currencies.")
    return found["CurrencyId"]
