"""A document KashFlow could not take is published later by itself, as the user guide promises.

The plain user publishes a supplier invoice while KashFlow turns every call away ("too many
requests"); the dialog says it was not published, KashFlow Unavailable, and that nothing needs
doing. KashFlow comes back; nobody clicks anything: the queue worker (a task scheduled for the
retry's time) or the scheduler's retry job publishes it, once, and the form shows it. About two
minutes, most of it the first retry's wait (a minute).
"""

from __future__ import annotations

import time

from product import Product, new_supplier_invoice

from .flows import PUBLISH, open_supplier_invoice, publish_open_invoice
from .sao import Sao

RETRY_TIMEOUT = 200  # the first retry is due a minute after the failure, with slack


def test_a_document_kashflow_could_not_take_is_published_by_itself(
        plain_user: Sao, mapped: dict, product: Product, no_faults: None) -> None:
    invoice = new_supplier_invoice(product.session("user"))
    reference = invoice["reference"]
    product.inject_fault("*", "rate_limit", times=1000)

    open_supplier_invoice(plain_user, reference)
    outcome = publish_open_invoice(plain_user, PUBLISH, screenshot="retry-1-unavailable")
    assert outcome.startswith("Not published: KashFlow Unavailable."), outcome
    plain_user.wait_for_value("kashflow_state", "Failed")  # the form reloads after the dialog
    assert "retried automatically" in plain_user.value("kashflow_hint")

    product.clear_faults()
    started = time.monotonic()
    number = plain_user.wait_reloading(
        lambda: plain_user.value("kashflow_state") == "Published"
        and plain_user.value("kashflow_number"),
        lambda: f"the document published by the automatic retry (it shows "
                f"{plain_user.value('kashflow_state')!r})", timeout=RETRY_TIMEOUT)
    print(f"published by itself {time.monotonic() - started:.0f} s after KashFlow came back")
    plain_user.screenshot("retry-2-published-by-itself")
    assert not plain_user.has_field("kashflow_failure") or not plain_user.value(
        "kashflow_failure")

    receipts = [r for r in product.mock_account()["receipts"]
                if r["CustomerReference"] == reference]
    assert [str(r["InvoiceNumber"]) for r in receipts] == [number]
