"""What `bash scripts/run` does in the background, for real: its queue worker and scheduler.

The user guide promises that Refresh Integration Data runs in the background while the
connection says it is refreshing. This test uses the running product (tests/product.py) as a
person would, over JSON-RPC: nothing is run by hand but what a person clicks. (The automatic
retry of a publication, by the queue worker and the scheduler, is shown in the browser:
tests/browser/test_browser_retry.py.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from product import Product, rpc_datetime


@pytest.fixture
def faults(product: Product) -> Iterator[Product]:
    """The product; the mock's faults are removed when the test ends, whatever happened."""
    yield product
    product.clear_faults()


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
