"""The control API under /_mock/, for tests and demos: accounts, settings, records, faults."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from .models import COLLECTIONS, ID_FIELDS, Account, Backend, Fault
from .schema import kashflow_schema
from .seed import seed_account

FAULT_KINDS = ("error_before", "drop_after_write", "delay", "http_500", "rate_limit")
SETTINGS = ("soap_api_enabled", "autoauth_enabled", "restrict_ips", "password_mode",
            "api_password", "autoauth_key")

blueprint = Blueprint("control", __name__, url_prefix="/_mock")


def backend() -> Backend:
    return current_app.config["BACKEND"]


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "Send a JSON object")
    return data


def account_or_404(username: str) -> Account:
    account = backend().accounts.get(username)
    if account is None:
        abort(404, f"No account {username}")
    return account


@blueprint.errorhandler(400)
@blueprint.errorhandler(404)
@blueprint.errorhandler(409)
def json_error(error: Any) -> tuple[Response, int]:
    return jsonify(error=error.description), error.code


@blueprint.post("/reset")
def reset() -> Response:
    backend().reset()
    return jsonify(ok=True)


@blueprint.post("/accounts")
def create_account() -> tuple[Response, int]:
    data = body()
    username, password = data.get("username"), data.get("password")
    seed = data.get("seed", "demo")
    if not username or not password or seed not in ("demo", "empty"):
        abort(400, 'Give "username", "password" and "seed": "demo" or "empty"')
    with backend().lock:
        if username in backend().accounts:
            abort(409, f"The account {username} exists")
        account = seed_account(Account(username, password), seed, backend().next_dbid)
        backend().add_account(account)
    return jsonify(username=username, autoauth_key=account.settings.autoauth_key), 201


@blueprint.get("/accounts/<username>")
def get_account(username: str) -> Response:
    with backend().lock:
        return jsonify(account_or_404(username).to_json())


@blueprint.patch("/accounts/<username>/settings")
def patch_settings(username: str) -> Response:
    data = body()
    with backend().lock:
        account = account_or_404(username)
        unknown = set(data) - set(SETTINGS) - {"access_list", "password"}
        if unknown:
            abort(400, f"Unknown settings: {', '.join(sorted(unknown))}")
        if data.get("password_mode", "login") not in ("login", "separate"):
            abort(400, 'password_mode is "login" or "separate"')
        for key in SETTINGS:
            if key in data:
                setattr(account.settings, key, data[key])
        if "access_list" in data:
            account.access_list = [
                entry if isinstance(entry, dict) else {"ip": entry, "comment": ""}
                for entry in data["access_list"]]
        if "password" in data:
            account.password = data["password"]
        backend().save()
        return jsonify(account.to_json())


@blueprint.post("/accounts/<username>/<collection>")
def add_records(username: str, collection: str) -> tuple[Response, int]:
    """Add one record or a list of them; missing fields get KashFlow's defaults."""
    if collection not in COLLECTIONS:
        abort(404, f"No collection {collection}")
    data = request.get_json(silent=True)
    records = data if isinstance(data, list) else [data]
    if not all(isinstance(r, dict) for r in records):
        abort(400, "Send a JSON object or a list of objects")
    schema, type_, key = kashflow_schema(), COLLECTIONS[collection], ID_FIELDS[collection]
    with backend().lock:
        account = account_or_404(username)
        added = []
        for raw in records:
            # A payment says which side it belongs to, outside KashFlow's type.
            internal = {k: raw.pop(k) for k in ("kind",) if k in raw}
            try:
                record = {**schema.blank(type_, **schema.from_json(type_, raw)), **internal}
            except (KeyError, ValueError, TypeError) as error:
                abort(400, str(error))
            if not record.get(key):
                record[key] = backend().next_dbid()
            getattr(account, collection).append(record)
            added.append(record[key])
        backend().save()
    return jsonify(ids=added), 201


@blueprint.patch("/accounts/<username>/<collection>/<int:record_id>")
def update_record(username: str, collection: str, record_id: int) -> Response:
    data = body()
    with backend().lock:
        record = find_record(account_or_404(username), collection, record_id)
        record.update(kashflow_schema().from_json(COLLECTIONS[collection], data))
        backend().save()
    return jsonify(ok=True)


@blueprint.delete("/accounts/<username>/<collection>/<int:record_id>")
def delete_record(username: str, collection: str, record_id: int) -> Response:
    with backend().lock:
        account = account_or_404(username)
        getattr(account, collection).remove(find_record(account, collection, record_id))
        backend().save()
    return jsonify(ok=True)


def find_record(account: Account, collection: str, record_id: int) -> dict[str, Any]:
    if collection not in COLLECTIONS:
        abort(404, f"No collection {collection}")
    record = account.find(collection, ID_FIELDS[collection], record_id)
    if record is None:
        abort(404, f"No record {record_id} in {collection}")
    return record


@blueprint.post("/faults")
def add_fault() -> tuple[Response, int]:
    data = body()
    if data.get("kind") not in FAULT_KINDS or not data.get("operation"):
        abort(400, f'Give "operation" and "kind", one of {", ".join(FAULT_KINDS)}')
    fault = Fault(data["operation"], data["kind"], int(data.get("times", 1)),
                  int(data.get("delay_ms", 0)))
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
