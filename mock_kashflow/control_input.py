"""Reading the control API's JSON strictly: a boolean is a JSON boolean, a number a JSON number,
an unknown key is an error. Each function returns what to apply, or raises BadInput with
words for the test writer; nothing is changed until all of a request has been read."""

from __future__ import annotations

import ipaddress
from typing import Any, get_type_hints

from .models import COLLECTIONS, ID_FIELDS, Fault, Settings
from .schema import Record, kashflow_schema
from .values import DecodeError

FAULT_KINDS = ("error_before", "drop_after_write", "delay", "http_500", "rate_limit")
MAX_DELAY_MS = 3_600_000
MAX_TIMES = 10**12
SETTING_TYPES: dict[str, type] = get_type_hints(Settings)
PASSWORD_MODES = ("login", "separate")
SEEDS = ("demo", "empty")
PAYMENT_KINDS = ("receipt", "invoice")  # which side a payment belongs to, outside KashFlow's type


class BadInput(ValueError):
    """A request the control API refuses with HTTP 400 (or the given status)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def json_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadInput("Send a JSON object")
    return data


def only_keys(data: dict[str, Any], known: set[str] | tuple[str, ...], what: str) -> None:
    unknown = set(data) - set(known)
    if unknown:
        raise BadInput(f"Unknown {what}: {', '.join(sorted(unknown))}")


def text(data: dict[str, Any], key: str, *, empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not (empty or value):
        raise BadInput(f'"{key}" must be a{"" if empty else " non-empty"} string')
    return value


def whole_number(data: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadInput(f'"{key}" must be a whole number from {low} to {high:,}')
    return value


def new_account(data: Any) -> tuple[str, str, str]:
    data = json_object(data)
    only_keys(data, ("username", "password", "seed"), "fields")
    username, password = text(data, "username"), text(data, "password")
    if "/" in username:
        raise BadInput('"username" cannot contain "/"')
    seed = data.get("seed", "demo")
    if seed not in SEEDS:
        raise BadInput(f'"seed" must be one of {", ".join(SEEDS)}')
    return username, password, seed


def settings_change(data: Any) -> dict[str, Any]:
    """The settings to set, by name; "password" and "access_list" belong to the account."""
    data = json_object(data)
    only_keys(data, {*SETTING_TYPES, "password", "access_list"}, "settings")
    change: dict[str, Any] = {}
    for key, type_ in SETTING_TYPES.items():
        if key not in data:
            continue
        if type_ is bool and not isinstance(data[key], bool):
            raise BadInput(f'"{key}" must be true or false')
        if type_ is int:
            change[key] = whole_number(data, key, 0, 0, 10**6)
        else:
            change[key] = (data[key] if type_ is bool
                           else text(data, key, empty=key == "api_password"))
    if len(change.get("memorable_word", "abc")) < 3:
        raise BadInput('"memorable_word" must have at least 3 characters: the REST login '
                       "asks for three of them")
    if change.get("password_mode", PASSWORD_MODES[0]) not in PASSWORD_MODES:
        raise BadInput(f'"password_mode" must be one of {", ".join(PASSWORD_MODES)}')
    if "password" in data:
        change["password"] = text(data, "password")
    if "access_list" in data:
        change["access_list"] = access_list(data["access_list"])
    return change


def access_list(entries: Any) -> list[dict[str, str]]:
    if not isinstance(entries, list):
        raise BadInput('"access_list" must be a list of IP addresses or {"ip", "comment"}')
    checked = []
    for entry in entries:
        entry = {"ip": entry} if isinstance(entry, str) else json_object(entry)
        only_keys(entry, ("ip", "comment"), "access list fields")
        ip, comment = text(entry, "ip"), entry.get("comment", "")
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise BadInput(f'"{ip}" is not an IP address') from None
        if not isinstance(comment, str):
            raise BadInput('An access list "comment" must be a string')
        checked.append({"ip": ip, "comment": comment})
    return checked


def check_collection(collection: str) -> str:
    if collection not in COLLECTIONS:
        raise BadInput(f"No collection {collection}; there are {', '.join(COLLECTIONS)}", 404)
    return collection


def record_values(collection: str, raw: Any) -> Record:
    """One record's values as KashFlow's type holds them (payments keep their "kind")."""
    raw = json_object(raw)
    type_ = COLLECTIONS[collection]
    internal = {"kind"} if collection == "payments" else set()
    only_keys(raw, {f.name for f in kashflow_schema().types[type_]} | internal,
              f"fields for {collection}")
    try:
        values = kashflow_schema().from_json(type_, {k: v for k, v in raw.items()
                                                     if k not in internal})
    except DecodeError as error:
        raise BadInput(str(error)) from None
    if "kind" in raw:
        if raw["kind"] not in PAYMENT_KINDS:
            raise BadInput(f'A payment\'s "kind" is one of {", ".join(PAYMENT_KINDS)}')
        values["kind"] = raw["kind"]
    return values


def new_records(collection: str, data: Any) -> list[Record]:
    """Whole records: the given values over KashFlow's defaults."""
    schema, type_ = kashflow_schema(), COLLECTIONS[collection]
    records = []
    for raw in data if isinstance(data, list) else [data]:
        record = {**schema.blank(type_), **record_values(collection, raw)}
        if collection == "payments" and "kind" not in record:
            raise BadInput(f'A payment needs "kind": one of {", ".join(PAYMENT_KINDS)}')
        records.append(record)
    return records


def check_new_ids(collection: str, records: list[Record], taken: set[Any]) -> None:
    """Ids given in records must be free: KashFlow never gives a number to two records."""
    key = ID_FIELDS[collection]
    for record in records:
        if record.get(key):
            if record[key] in taken:
                raise BadInput(f"{key} {record[key]} is already taken in {collection}", 409)
            taken.add(record[key])


def new_fault(data: Any, rest_operations: set[str]) -> Fault:
    """rest_operations: the REST calls' names ("GET /purchases/<number>")."""
    data = json_object(data)
    only_keys(data, ("operation", "kind", "times", "delay_ms", "chance"), "fault fields")
    operation = data.get("operation")
    if not isinstance(operation, str) or operation not in (
            *kashflow_schema().operations, *rest_operations, "*"):
        raise BadInput(f'"operation" must be an operation of the WSDL, a REST call such as '
                       f'"GET /nominals", or "*", not {operation!r}')
    if data.get("kind") not in FAULT_KINDS:
        raise BadInput(f'"kind" must be one of {", ".join(FAULT_KINDS)}')
    chance = data.get("chance", 1)
    if not isinstance(chance, int | float) or isinstance(chance, bool) or not 0 < chance <= 1:
        raise BadInput('"chance" must be a number above 0 and at most 1')
    return Fault(operation, data["kind"], whole_number(data, "times", 1, 1, MAX_TIMES),
                 whole_number(data, "delay_ms", 0, 0, MAX_DELAY_MS), float(chance))
