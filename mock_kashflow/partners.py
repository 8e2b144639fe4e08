"""Creating a supplier or a customer, as KashFlow does over either API: a name is required,
a code is made from the name when none is given (ACME01, ACME02...), and a code in use is
refused unless the caller asked for a free one to be made (REST's Create...CodeIfDuplicate)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from .exceptions import KashFlowError
from .limits import check_payment_terms
from .models import Account
from .schema import Record

MAX_CODE = 20
# The record's id field in each collection.
ID_FIELDS = {"suppliers": "SupplierID", "customers": "CustomerID"}


def insert_party(account: Account, collection: str, noun: str, record: Record | None,
                 next_dbid: Callable[[], int], new_code_if_taken: bool = False) -> Record:
    """Check and store a new supplier or customer (SOAP fields); the record as stored."""
    if not record or not (record.get("Name") or "").strip():
        raise KashFlowError(f"The {noun} has no name")
    code = (record.get("Code") or "").strip().upper()
    if code and new_code_if_taken and account.find(collection, "Code", code):
        code = ""
    code = code or new_code(account, collection, record["Name"])
    if len(code) > MAX_CODE:
        raise KashFlowError(f"The {noun} code {code} is longer than {MAX_CODE} characters")
    if account.find(collection, "Code", code):
        raise KashFlowError(f"The {noun} code {code} is already in use")
    check_payment_terms(record.get("PaymentTerms") or 0, noun)
    if not 0 <= (record.get("Discount") or 0) <= 100:
        raise KashFlowError(f"The {noun}'s discount must be 0 to 100 (percent), "
                            f"not {record['Discount']}")
    now = dt.datetime.now().replace(microsecond=0)
    stored = {**record, ID_FIELDS[collection]: next_dbid(), "Code": code,
              "Created": now, "Updated": now}
    account.add(collection, stored)
    return stored


def new_code(account: Account, collection: str, name: str) -> str:
    """KashFlow makes a code from the name when none is given: ACME01, ACME02..."""
    stem = re.sub(r"[^A-Z0-9]", "", name.upper())[:4] or "CODE"
    taken = {r["Code"] for r in getattr(account, collection)}
    return next(f"{stem}{n:02d}" for n in range(1, 10**6) if f"{stem}{n:02d}" not in taken)
