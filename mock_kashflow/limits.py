"""What KashFlow accepts beyond what the WSDL's types can carry: dates and amounts.

KashFlow's documentation says nothing of these limits; the mock's choices are in the
developer guide ("Limits on values"). KashFlow runs on SQL Server, whose datetime holds
1753-01-01 to 9999-12-31; amounts are kept below a trillion. A value past a limit is refused
with Status NO, before anything is written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .exceptions import KashFlowError
from .values import decimal_places

EARLIEST_DATE = dt.datetime(1753, 1, 1)
LATEST_DATE = dt.datetime(9999, 12, 31, 23, 59, 59)
MAX_AMOUNT = Decimal("999999999999.99")
MAX_PAYMENT_TERMS = 999  # days


def shown(date: dt.datetime) -> str:
    """A date as KashFlow shows it in the UK, the year in 4 digits even before 1000."""
    return f"{date.day:02d}/{date.month:02d}/{date.year:04d}"


ACCEPTED_DATES = f"({shown(EARLIEST_DATE)} to {shown(LATEST_DATE)})"


def check_date(value: dt.datetime, what: str) -> dt.datetime:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise KashFlowError(f"The {what} {shown(value)} is outside the dates KashFlow accepts "
                            f"{ACCEPTED_DATES}")
    return value


def due_date(date: dt.datetime, terms: int, party_noun: str) -> dt.datetime:
    """The date plus the party's payment terms, which must still be a date KashFlow keeps."""
    try:
        due = date + dt.timedelta(days=terms)
    except OverflowError:
        due = None
    if due is None or not EARLIEST_DATE <= due <= LATEST_DATE:
        raise KashFlowError(
            f"The due date ({shown(date)} plus the {party_noun}'s payment terms of {terms} "
            f"days) is outside the dates KashFlow accepts {ACCEPTED_DATES}")
    return due


def check_size(value: Decimal, what: str) -> Decimal:
    if abs(value) > MAX_AMOUNT:
        raise KashFlowError(f"{what} {value} is larger than KashFlow accepts "
                            f"({MAX_AMOUNT:,} either way)")
    return value


def check_amount(value: Decimal, what: str) -> Decimal:
    """An amount of money: within the size limit, in pence."""
    check_size(value, what)
    if decimal_places(value) > 2:
        raise KashFlowError(f"{what} {value} has more than 2 decimal places")
    return value


def check_payment_terms(terms: int, noun: str) -> int:
    if not 0 <= terms <= MAX_PAYMENT_TERMS:
        raise KashFlowError(f"The {noun}'s payment terms must be 0 to {MAX_PAYMENT_TERMS} "
                            f"days, not {terms}")
    return terms
