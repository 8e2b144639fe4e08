"""Where things stand, for the bookkeeper: the publisher's KashFlow menu.

The plain user (KashFlow Publisher, not administrator) finds Financial > KashFlow >
Publications, with its tabs Failed, Publishing and Published, and Documents Not Yet
Published. Two customer invoices published while KashFlow turns every sale away (a fault
injected in the mock: too many requests) are in the Failed tab; once KashFlow takes them
again, the publisher selects both there and retries them with one action. The mock KashFlow
then has two sales more: each once.

The demo's posted customer invoices PO-ACME-7781 and CA-PO-1193 are published here (and
nowhere else).
"""

from __future__ import annotations

import requests
from product import Product

from .flows import NOT_YET_PUBLISHED, PUBLICATIONS, PUBLISH, RETRY, publish_selection
from .sao import Sao

REFERENCES = ("PO-ACME-7781", "CA-PO-1193")
CUSTOMER_INVOICES = ("Financial", "Invoices", "Customer Invoices")


def sales(product: Product) -> int:
    """How many sales invoices the mock KashFlow has."""
    return len(product.mock_account()["invoices"])


def test_the_publisher_finds_failures_and_retries_them_in_bulk(
        plain_user: Sao, mapped: dict, product: Product, no_faults: None) -> None:
    sao = plain_user
    # The publisher's menu, with the lists the user guide says they may read.
    for entry in ("Publications", "Documents Not Yet Published", "Publication Log"):
        assert sao.has_menu("Financial", "KashFlow", entry), entry
    assert sao.has_menu("Financial", "KashFlow", "Lists", "Nominal Codes")

    sao.open_menu(*NOT_YET_PUBLISHED)
    sao.open_list_tab("Customer")
    for reference in REFERENCES:
        sao.row(reference)
    sao.screenshot("publications-0-not-yet-published")

    # KashFlow turns every sale away for now: both fail, and nothing is in KashFlow.
    before = sales(product)
    requests.post(f"{product.mock}/_mock/faults", timeout=10,
                  json={"operation": "InsertInvoice", "kind": "rate_limit", "times": 100},
                  ).raise_for_status()
    sao.open_menu(*CUSTOMER_INVOICES)
    sao.open_list_tab("All")
    publish_selection(sao, PUBLISH, *REFERENCES, queued=2)

    # The queue worker publishes them in the background; both fail, to be retried later.
    sao.open_menu(*PUBLICATIONS)
    sao.open_list_tab("Failed")
    sao.wait_reloading(
        lambda: all(any(r in row and "KashFlow Unavailable" in row for row in sao.rows())
                    for r in REFERENCES),
        lambda: f"both in the Failed tab as KashFlow Unavailable (rows: {sao.rows()!r})")
    assert sales(product) == before
    sao.screenshot("publications-1-failed")

    # KashFlow takes sales again: both retried at once from the Failed tab.
    requests.delete(f"{product.mock}/_mock/faults", timeout=10).raise_for_status()
    publish_selection(sao, RETRY, *REFERENCES, queued=2, screenshot="publications-2-retried")

    # (The Published tab hides its State column: all are Published. Until sao has loaded it,
    # the list still shows the Failed tab's rows, which name the failure.)
    sao.open_list_tab("Published")
    sao.wait_reloading(
        lambda: all(any(r in row and "KashFlow Unavailable" not in row for row in sao.rows())
                    for r in REFERENCES),
        lambda: f"both in the Published tab (rows: {sao.rows()!r})")
    assert sales(product) == before + 2  # each once
    sao.open_list_tab("Failed")
    sao.wait(lambda: not any(r in row for row in sao.rows() for r in REFERENCES),
             "the Failed tab without the retried documents")
