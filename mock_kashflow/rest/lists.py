"""The lists an app reads: nominals, VAT rates, currencies, bank accounts, payment methods,
projects, suppliers and customers, one supplier or customer by its code."""

from __future__ import annotations

from flask import Response, jsonify, request

from . import backend, blueprint, shapes
from .errors import invalid, not_found
from .login import current_account
from .paging import paged


@blueprint.get("/nominals")
def nominals() -> Response:
    account = current_account()
    with backend().lock:
        return jsonify([shapes.nominal(r) for r in account.nominal_codes])


@blueprint.get("/vat/settings/vatrates")
def vat_rates() -> Response:
    account = current_account()
    with backend().lock:
        return jsonify([shapes.vat_rate(r) for r in account.vat_rates])


@blueprint.get("/currencies")
def currencies() -> Response:
    account = current_account()
    with backend().lock:
        return jsonify([shapes.currency(r) for r in account.currencies])


@blueprint.get("/bankaccounts")
def bank_accounts() -> Response:
    account = current_account()
    with backend().lock:
        return jsonify([shapes.bank_account(r) for r in account.bank_accounts])


@blueprint.get("/paymentmethods/<kind>")
def payment_methods(kind: str) -> Response:
    """KashFlow's kinds are invoice and purchase; the mock keeps receipt for purchase."""
    account = current_account()
    kept = {"invoice": "invoice", "purchase": "receipt"}.get(kind.lower())
    if kept is None:
        raise invalid("The payment method type must be invoice or purchase.")
    with backend().lock:
        return jsonify([shapes.payment_method(r) for r in account.payment_methods[kept]])


@blueprint.get("/projects")
def projects() -> Response:
    account = current_account()
    with backend().lock:
        return jsonify(paged([shapes.project(r) for r in account.projects]))


@blueprint.get("/suppliers")
def suppliers() -> Response:
    account = current_account()
    with backend().lock:
        rows = [shapes.supplier(account, r) for r in account.suppliers]
    return jsonify(paged(named(rows)))


@blueprint.get("/customers")
def customers() -> Response:
    account = current_account()
    with backend().lock:
        rows = [shapes.customer(account, r) for r in account.customers]
    return jsonify(paged(named(rows)))


@blueprint.get("/suppliers/<path:code>")
def supplier(code: str) -> Response:
    account = current_account()
    with backend().lock:
        record = account.find("suppliers", "Code", code)
        if record is None:
            raise not_found(f"There is no supplier with the code {code}.")
        return jsonify(shapes.supplier(account, record))


@blueprint.get("/customers/<path:code>")
def customer(code: str) -> Response:
    account = current_account()
    with backend().lock:
        record = account.find("customers", "Code", code)
        if record is None:
            raise not_found(f"There is no customer with the code {code}.")
        return jsonify(shapes.customer(account, record))


def named(rows: list[dict]) -> list[dict]:
    """The rows whose name starts with ?namestartswith (any case), by name."""
    start = (request.args.get("namestartswith") or "").lower()
    return sorted((r for r in rows if r["Name"].lower().startswith(start)),
                  key=lambda r: r["Name"].lower())


@blueprint.get("/settings/vat")
def vat_settings() -> Response:
    """The account's VAT registration (KashFlow's VAT settings object, in part)."""
    account = current_account()
    with backend().lock:
        return jsonify({"IsVatRegistered": account.vat_registered,
                        "VatRegistrationNumber": account.company.get("VatRegistrationNumber")
                        or "", "IsFRS": False})
