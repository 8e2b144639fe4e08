"""What `bash scripts/run` does in the background, for real: its queue worker and scheduler.

The user guide promises that a publication KashFlow could not take is retried automatically in
a few minutes, and that Refresh Integration Data runs in the background while the connection
says it is refreshing. These tests use the running product (tests/product.py) as a person
would, over JSON-RPC: nothing is run by hand but what a person clicks. About three minutes in
all, most of it waiting for the scheduler (it looks for due jobs once a minute).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from product import Product, TrytonSession, rpc_datetime

RETRY_TIMEOUT = 200  # the first retry is due a minute after the failure, the cron ticks
#                      once a minute: two minutes at most, and some slack on a busy machine
INVOICE_FIELDS = ["reference", "state", "kashflow_state", "kashflow_failure",
                  "kashflow_number", "kashflow_message"]


@pytest.fixture
def faults(product: Product) -> Iterator[Product]:
    """The product; the mock's faults are removed when the test ends, whatever happened."""
    yield product
    product.clear_faults()


def new_supplier_invoice(user: TrytonSession) -> dict[str, Any]:
    """A posted supplier invoice of its own (a copy of a demo bill, with a new reference), so
    that no other test's invoice is touched."""
    [template] = user.search_read("account.invoice", [("reference", "=", "BT-2291-0031")],
                                  ["id"])
    reference = f"BG-{uuid.uuid4().hex[:8].upper()}"
    today = dt.date.today()
    [copy] = user.call("model.account.invoice.copy", [template["id"]], {
        "reference": reference,
        "invoice_date": {"__class__": "date", "year": today.year, "month": today.month,
                         "day": today.day}})
    user.call("model.account.invoice.post", [copy])
    [invoice] = user.search_read("account.invoice", [("id", "=", copy)],
                                 ["id", *INVOICE_FIELDS])
    assert invoice["state"] == "posted", invoice
    return invoice


def wait_for(what: str, timeout: float, look: Any, done: Any, show: Any = str) -> Any:
    """look() every second until done(value); show(value) printed every 15 s."""
    started = time.monotonic()
    shown = 0.0
    while True:
        value = look()
        elapsed = time.monotonic() - started
        if done(value):
            print(f"  {what}: after {elapsed:.0f} s")
            return value
        assert elapsed < timeout, f"{what}: not after {timeout} s; last seen {value}"
        if elapsed - shown >= 15:
            print(f"  waiting for {what} ({elapsed:.0f} s): {show(value)}")
            shown = elapsed
        time.sleep(1)


def test_a_failed_publication_is_retried_automatically(faults: Product) -> None:
    product = faults
    product.connection()
    user = product.session("user")
    invoice = new_supplier_invoice(user)
    reference = invoice["reference"]
    print(f"\nPublishing {reference} while KashFlow answers 'too many requests' to every call")

    def read() -> dict[str, Any]:
        [row] = user.search_read("account.invoice", [("id", "=", invoice["id"])],
                                 INVOICE_FIELDS)
        return row

    product.inject_fault("*", "rate_limit", times=1000)
    user.call("model.account.invoice.kashflow_publish", [invoice["id"]])
    failed = wait_for("the publication fails", 60, read,
                      lambda row: row["kashflow_state"] == "failed")
    assert failed["kashflow_failure"] == "unavailable", failed
    labels = dict(user.call("model.account.invoice.fields_get",
                            ["kashflow_failure"])["kashflow_failure"]["selection"])
    assert labels[failed["kashflow_failure"]] == "KashFlow Unavailable"
    assert not failed["kashflow_number"]

    # KashFlow is back; nobody presses anything.
    product.clear_faults()
    print("KashFlow answers again: waiting for the automatic retry (the scheduler)")
    published = wait_for("published by the retry", RETRY_TIMEOUT, read,
                         lambda row: row["kashflow_state"] == "published",
                         lambda row: f"{row['kashflow_state']} ({row['kashflow_failure']})")
    assert published["kashflow_number"], published
    assert not published["kashflow_failure"], published

    receipts = [r for r in product.mock_account()["receipts"]
                if r["CustomerReference"] == reference]
    assert len(receipts) == 1, receipts
    assert str(receipts[0]["InvoiceNumber"]) == str(published["kashflow_number"])


def test_refresh_runs_in_the_background_while_the_connection_says_so(
        faults: Product) -> None:
    product = faults
    before = product.connection()
    admin = product.session("admin")
    delay = 12
    print(f"\nRefreshing while KashFlow takes {delay} s to list its suppliers")

    def read() -> dict[str, Any]:
        [row] = admin.search_read("kashflow.connection", [("id", "=", before["id"])],
                                  ["state", "refresh_state", "refresh_summary",
                                   "last_refresh"])
        return row

    product.inject_fault("GetSuppliers", "delay", delay_ms=delay * 1000)
    clicked = time.monotonic()
    admin.call("model.kashflow.connection.refresh", [before["id"]])
    answered = time.monotonic() - clicked
    print(f"  Refresh Integration Data answered after {answered:.1f} s")
    assert answered < delay / 2, "the button waited for the refresh"

    # What the form reads: the state that shows the banner "The lists are being refreshed".
    refreshing = read()
    assert refreshing["refresh_state"] == "refreshing", refreshing
    assert admin.call("model.kashflow.connection.fields_view_get", None, "form")[
        "arch"].count('id="refreshing"') == 1

    done = wait_for("the refresh is done", 120, read,
                    lambda row: row["refresh_state"] != "refreshing")
    assert time.monotonic() - clicked >= delay, "the refresh did not wait for KashFlow"
    assert done["refresh_state"] == "done", done
    assert "KashFlow Supplier: " in done["refresh_summary"], done
    assert rpc_datetime(done["last_refresh"]) > rpc_datetime(before["last_refresh"])
