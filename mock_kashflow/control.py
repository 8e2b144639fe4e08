"""The control API under /_mock/, for tests and demos: accounts, settings, records, faults.

It is a test API: GET /_mock/accounts/<username> returns the account's secrets on purpose, so
the mock must not be reachable from other machines. Every bad request is answered with a 4xx
and {"error": "..."} and changes nothing (errors.py answers the rest in JSON too).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from . import control_input as read
from . import rest
from .control_input import BadInput
from .currencies import home_amounts
from .models import ID_FIELDS, Account, Backend
from .seed import seed_account
from .values import to_json

NUMBERED = ("receipts", "invoices")  # numbered per account; the others take system-wide ids

blueprint = Blueprint("control", __name__, url_prefix="/_mock")


def backend() -> Backend:
    return current_app.config["BACKEND"]


def body() -> Any:
    return request.get_json(silent=True)


def account_or_404(username: str) -> Account:
    account = backend().accounts.get(username)
    if account is None:
        raise BadInput(f"No account {username}", 404)
    return account


@blueprint.errorhandler(BadInput)
def bad_input(error: BadInput) -> tuple[Response, int]:
    return jsonify(error=str(error)), error.status


@blueprint.post("/reset")
def reset() -> Response:
    backend().reset()
    current_app.config["REST_SESSIONS"].clear()
    return jsonify(ok=True)


@blueprint.post("/accounts")
def create_account() -> tuple[Response, int]:
    username, password, seed = read.new_account(body())
    with backend().lock:
        if username in backend().accounts:
            raise BadInput(f"The account {username} exists", 409)
        account = seed_account(Account(username, password), seed, backend().next_dbid)
        backend().add_account(account)
    return jsonify(username=username, autoauth_key=account.settings.autoauth_key), 201


@blueprint.get("/accounts/<username>")
def get_account(username: str) -> Response:
    with backend().lock:
        account = account_or_404(username)
        data = account.to_json()
        # A document's home-currency amounts, as KashFlow derives them from its rate.
        for collection in NUMBERED:
            for doc, shown in zip(getattr(account, collection), data[collection], strict=True):
                shown.update(to_json(home_amounts(doc)))
    return jsonify(data)


@blueprint.patch("/accounts/<username>/settings")
def patch_settings(username: str) -> Response:
    change = read.settings_change(body())
    with backend().lock:
        account = account_or_404(username)
        for key, value in change.items():
            if key in ("password", "access_list"):
                setattr(account, key, value)
            else:
                setattr(account.settings, key, value)
        backend().commit(account)
        return jsonify(account.to_json())


@blueprint.delete("/accounts/<username>/sessions")
def end_sessions(username: str) -> Response:
    """End the account's REST sessions, as if they had been idle too long."""
    with backend().lock:
        account_or_404(username)
    return jsonify(ended=current_app.config["REST_SESSIONS"].close_all(username))


@blueprint.post("/accounts/<username>/external_tokens")
def new_external_token(username: str) -> tuple[Response, int]:
    """A token KashFlow's own systems would hand out, for GET /v2/sessiontoken."""
    with backend().lock:
        account_or_404(username)
    token, uid = current_app.config["REST_SESSIONS"].new_external(username)
    return jsonify(externalToken=token, uid=uid), 201


@blueprint.post("/accounts/<username>/<collection>")
def add_records(username: str, collection: str) -> tuple[Response, int]:
    """Add one record or a list of them; missing fields get KashFlow's defaults."""
    records = read.new_records(read.check_collection(collection), body())
    key = ID_FIELDS[collection]
    with backend().lock:
        account = account_or_404(username)
        existing = getattr(account, collection)
        read.check_new_ids(collection, records, {r.get(key) for r in existing})
        for record in records:
            given = record.get(key)
            if collection in NUMBERED:
                if given:
                    account.note_number(collection, given)
                else:
                    record[key] = account.issue_number(collection)
            elif given:
                backend().note_dbid(given)
            else:
                record[key] = backend().next_dbid()
            account.add(collection, record)
        backend().commit(account)
    return jsonify(ids=[r[key] for r in records]), 201


@blueprint.patch("/accounts/<username>/<collection>/<int:record_id>")
def update_record(username: str, collection: str, record_id: int) -> Response:
    values = read.record_values(read.check_collection(collection), body())
    key = ID_FIELDS[collection]
    with backend().lock:
        account = account_or_404(username)
        record = find_record(account, collection, record_id)
        new_id = values.get(key, record_id)
        if new_id != record_id:
            others = {r.get(key) for r in getattr(account, collection) if r is not record}
            read.check_new_ids(collection, [values], others)
            if not new_id:
                raise BadInput(f"{key} cannot be 0")
            if collection in NUMBERED:
                account.note_number(collection, new_id)
            else:
                backend().note_dbid(new_id)
        record.update(values)
        account.changed(collection, record, key=record_id)
        backend().commit(account)
    return jsonify(ok=True)


@blueprint.delete("/accounts/<username>/<collection>/<int:record_id>")
def delete_record(username: str, collection: str, record_id: int) -> Response:
    read.check_collection(collection)
    with backend().lock:
        account = account_or_404(username)
        account.remove(collection, find_record(account, collection, record_id))
        backend().commit(account)
    return jsonify(ok=True)


def find_record(account: Account, collection: str, record_id: int) -> dict[str, Any]:
    record = account.find(collection, ID_FIELDS[collection], record_id)
    if record is None:
        raise BadInput(f"No record {record_id} in {collection}", 404)
    return record


@blueprint.post("/faults")
def add_fault() -> tuple[Response, int]:
    fault = read.new_fault(body(), rest.operations())
    with backend().lock:
        backend().faults.append(fault)
    return jsonify(vars(fault)), 201


@blueprint.get("/faults")
def list_faults() -> Response:
    with backend().lock:
        return jsonify([vars(f) for f in backend().faults])


@blueprint.delete("/faults")
def clear_faults() -> Response:
    with backend().lock:
        backend().faults.clear()
    return jsonify(ok=True)


@blueprint.get("/calls")
def list_calls() -> Response:
    """The SOAP calls received since the reset, by operation (faulty ones included)."""
    with backend().lock:
        return jsonify(dict(backend().calls))


@blueprint.delete("/calls")
def clear_calls() -> Response:
    with backend().lock:
        backend().calls.clear()
    return jsonify(ok=True)

