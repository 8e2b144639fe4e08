"""XML Schema's simple types as .NET reads and writes them: from XML text, from the control
API's JSON, and back. What System.Int32 or System.Decimal cannot hold cannot be read."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

# .NET writes missing value types as these when minOccurs is 1.
NULL_DATE = dt.datetime(1, 1, 1)
DEFAULTS: dict[str, Any] = {
    "int": 0, "integer": 0, "long": 0, "decimal": Decimal(0), "boolean": False,
    "dateTime": NULL_DATE,
}
# What .NET's XmlConvert reads: no exponent, no NaN, ASCII digits only.
INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
NET_NAMES = {"int": "an Int32", "long": "an Int64", "decimal": "a Decimal"}
DECIMAL_MAX = Decimal("79228162514264337593543950335")  # System.Decimal.MaxValue
DECIMAL_PLACES = 28  # System.Decimal's largest scale
SHORT_DECIMAL = 28  # characters, sign and point included


class DecodeError(ValueError):
    """A value that the service cannot read, e.g. letters in an int."""


def decode_simple(text: str, type_: str) -> Any:
    """The value of an element's text; a DecodeError gives the reason (the caller adds where)."""
    return simple_reader(type_)(text)


def simple_reader(type_: str) -> Callable[[str], Any]:
    """How to read an element's text as type_: chosen once per field, not per value. A
    string is its text as it is; a type without a reader of its own, its text stripped."""
    if type_ == "string":
        return _read_text
    return SIMPLE_READERS.get(type_, str.strip)


def _read_text(text: str) -> str:
    return text


def _reading(type_: str, read: Callable[[str], Any]) -> Callable[[str], Any]:
    """read, with surrounding space ignored and its ValueError in the service's words."""
    def reader(text: str) -> Any:
        text = text.strip()
        try:
            return read(text)
        except DecodeError:
            raise
        except ValueError:
            raise DecodeError(f"'{text[:40]}' is not a valid {type_}.") from None
    return reader


def _read_integer(type_: str) -> Callable[[str], int]:
    def read(text: str) -> int:
        if not INTEGER_TEXT.fullmatch(text):
            raise ValueError
        return int(in_range(int(text), type_))
    return read


def _read_boolean(text: str) -> bool:
    if text not in ("true", "false", "1", "0"):
        raise ValueError
    return text in ("true", "1")


def read_decimal(text: str) -> Decimal:
    if not DECIMAL_TEXT.fullmatch(text):
        raise ValueError
    number = Decimal(text)
    # Most amounts are short: 28 characters cannot reach 29 digits or 28 places, so the
    # checks (a good part of reading a document) are for longer ones only.
    return number if len(text) <= SHORT_DECIMAL else in_range(number, "decimal")


def in_range(number: int | Decimal, type_: str) -> int | Decimal:
    """A number .NET can hold in type_, or the DecodeError its reader gives."""
    low, high = RANGES.get(type_, (-DECIMAL_MAX, DECIMAL_MAX))
    if type_ in NET_NAMES and not low <= number <= high:
        raise DecodeError(f"Value was either too large or too small for {NET_NAMES[type_]}.")
    if isinstance(number, Decimal) and decimal_places(number) > DECIMAL_PLACES:
        raise DecodeError(f"'{format(number, 'f')[:40]}' has more than {DECIMAL_PLACES} "
                          "decimal places.")
    return number


def decimal_places(number: Decimal) -> int:
    """Places after the point, trailing zeros aside; exact, whatever the decimal context."""
    _, digits, exponent = number.as_tuple()
    places = -exponent if isinstance(exponent, int) else 0
    for digit in reversed(digits):
        if places <= 0 or digit:
            break
        places -= 1
    return max(places, 0)


def json_simple(value: Any, type_: str, where: str) -> Any:
    """A JSON value as the Python value of a simple type, or a DecodeError naming where."""
    try:
        return _json_simple(value, type_)
    except DecodeError as error:
        raise DecodeError(f"{where}: {error}") from None
    except (TypeError, ValueError):
        raise DecodeError(f"{where} must be {JSON_KINDS.get(type_, 'a string')}, "
                          f"not {json.dumps(value)[:40]}") from None


JSON_KINDS = {"int": "a whole number", "integer": "a whole number", "long": "a whole number",
              "decimal": "a number", "boolean": "true or false",
              "dateTime": "a date and time such as 2026-11-01T00:00:00"}


def _json_simple(value: Any, type_: str) -> Any:
    """TypeError or ValueError for a value of the wrong kind, DecodeError for one out of range."""
    if isinstance(value, bool) != (type_ == "boolean"):
        raise TypeError
    if type_ in ("int", "integer", "long"):
        if not isinstance(value, int):
            raise TypeError
        return in_range(value, type_)
    if type_ == "decimal":
        if isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value.strip()):
            raise ValueError
        amount = Decimal(str(value)) if isinstance(value, int | float | str) else None
        if amount is None or not amount.is_finite():
            raise ValueError
        return in_range(amount, type_)
    if not isinstance(value, str | bool):
        raise TypeError
    return parse_datetime(value) if type_ == "dateTime" else value


def parse_datetime(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=None) if value.tzinfo else value


SIMPLE_READERS: dict[str, Callable[[str], Any]] = {
    "decimal": _reading("decimal", read_decimal),
    **{type_: _reading(type_, _read_integer(type_)) for type_ in ("int", "integer", "long")},
    "boolean": _reading("boolean", _read_boolean),
    "dateTime": _reading("dateTime", parse_datetime),
}


def encode_simple(value: Any, type_: str) -> str:
    if type_ == "boolean":
        return "true" if value else "false"
    if type_ == "dateTime":
        return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else str(value)
    if type_ == "decimal":
        return format(Decimal(value), "f")
    return str(value)


def json_default(value: Any) -> Any:
    """For json.dumps(default=...): what to_json does, for the values JSON has no type for."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
