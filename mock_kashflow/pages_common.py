"""What the browser pages share: the signed-in account, the CSRF token and value formats."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import abort, current_app, g, request, session

from .models import Account, Backend
from .values import NULL_DATE

CENT = Decimal("0.01")
CSRF_FIELD = "csrf_token"
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def backend() -> Backend:
    return current_app.config["BACKEND"]


def account() -> Account:
    """The signed-in account; pages.guard() has set it before any view runs."""
    return g.account


def signed_in_account() -> Account | None:
    username = session.get("username")
    return backend().accounts.get(username) if username else None


def passwords_match(expected: str, given: str) -> bool:
    return bool(expected) and secrets.compare_digest(given.encode(), expected.encode())


# CSRF: one random token per session, sent back in every form ------------


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    expected = session.get(CSRF_FIELD) or ""
    sent = request.form.get(CSRF_FIELD) or ""
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        abort(400, "This form has expired or did not come from this site. "
                   "Go back, reload the page and try again.")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# How values are shown ----------------------------------------------------


def decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        return Decimal(0)


def money(value: Any, currency: str | None = "GBP") -> str:
    """£1,234.56 and -£12.00; other currencies by symbol or by code."""
    if value is None or value == "":
        return ""
    amount = decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    code = currency or "GBP"
    digits = f"{abs(amount):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(code)
    text = f"{symbol}{digits}" if symbol else f"{code} {digits}"
    return f"-{text}" if amount < 0 else text


def day(value: Any) -> str:
    """A KashFlow date as a UK reader expects it; .NET's empty date as nothing."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.date) or value == NULL_DATE:
        return ""
    return value.strftime("%d/%m/%Y")


def plain_number(value: Any) -> str:
    """A quantity or rate without trailing zeros: 2, 2.5, 17.5."""
    number = decimal(value)
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f")


def vat_rate(value: Any) -> str:
    """KashFlow's -1 is the N/A (exempt) rate."""
    if value is None:
        return ""
    rate = decimal(value)
    return "N/A" if rate == -1 else f"{plain_number(rate)}%"


def file_size(size: Any) -> str:
    try:
        count = int(size)
    except (TypeError, ValueError):
        return ""
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"
