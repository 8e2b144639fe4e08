"""Connecting over KashFlow's REST API, and publishing over it, in the browser.

The administrator reconnects the company's connection choosing the REST API on the wizard's
first page: the steps shown are the REST API's, and the credentials page asks for the
memorable word rather than the AutoAuth key. The plain user then publishes the demo's euro
sale DD-CMD-3310 (published here and nowhere else) from its form: KashFlow has it once, sent
over REST. The connection goes back to the SOAP API afterwards, its lists and mappings kept,
for the tests that follow in the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from product import Product

from .flows import (
    CREDENTIALS_PAGE,
    DONE_PAGE,
    PUBLISH,
    account_mappings,
    demo_credentials,
    open_connection,
    publish_open_invoice,
    start_connect_wizard,
    wait_published,
)
from .sao import Sao

REST_API = "REST API v2 (memorable word)"
CUSTOMER_INVOICES = ("Financial", "Invoices", "Customer Invoices")
EURO_SALE = "DD-CMD-3310"  # Dupont Distribution SARL, 10 hours at 110.00 EUR


def protocol(product: Product) -> str:
    [connection] = product.session("admin").search_read("kashflow.connection", [],
                                                        ["protocol"])
    return connection["protocol"]


def mock_calls(product: Product) -> dict[str, int]:
    response = requests.get(f"{product.mock}/_mock/calls", timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def back_to_soap(product: Product) -> Iterator[None]:
    """After the test, the connection over SOAP again (by the Connect wizard over JSON-RPC),
    as the rest of the session expects it."""
    yield
    if protocol(product) != "soap":
        product.connect_over_soap()
    assert protocol(product) == "soap"


def test_connect_over_rest_and_publish_a_sale(admin: Sao, plain_user: Sao, mapped: dict,
                                              product: Product, back_to_soap: None) -> None:
    credentials = demo_credentials(product)
    memorable_word = product.mock_account(credentials.username)["settings"]["memorable_word"]
    mappings = account_mappings(product)

    # The administrator: Reconnect, the REST API on the first page, its steps, the mock's
    # address.
    admin.focus()
    open_connection(admin, product)
    start_connect_wizard(admin)
    admin.fill("KashFlow API", REST_API)
    admin.wait_for_text("2. Check that Enable REST API (v2) is ticked.")
    admin.wait_for_text("4. Have your memorable word to hand.")
    admin.fill("url", f"{product.mock}/v2")
    assert not admin.overflows()
    admin.screenshot("rest-1-wizard-steps")
    admin.fill("I have completed all of the above steps", True)
    admin.click_button("Next")
    admin.wait_for_text(CREDENTIALS_PAGE)
    assert "memorable word" in admin.text()
    assert not admin.overflows()

    # A wrong memorable word: said in words, the wizard stays to correct it.
    admin.fill("KashFlow Username", credentials.username)
    admin.fill("KashFlow Password", credentials.password)
    admin.fill("Memorable Word", "wrongword")
    admin.click_button("Connect")
    message = admin.error_message()
    assert "memorable word" in message, message
    admin.close_error()
    admin.wait_for_text(CREDENTIALS_PAGE)
    assert protocol(product) == "soap"  # nothing saved

    admin.fill("Memorable Word", memorable_word)
    admin.screenshot("rest-2-wizard-credentials")
    admin.click_button("Connect")
    admin.wait_for_text(DONE_PAGE)
    admin.click_button("Finish")
    admin.wait_for_dialog_closed()
    admin.wait_for_value("state", "Connected")
    assert protocol(product) == "rest"
    assert account_mappings(product) == mappings  # kept
    admin.screenshot("rest-3-connection-connected")

    # The plain user publishes the euro sale from its form: over REST, once.
    before = mock_calls(product).get("POST /invoices", 0)
    sao = plain_user
    sao.open_menu(*CUSTOMER_INVOICES)
    sao.open_list_tab("All")
    sao.row(EURO_SALE)
    sao.open_row(EURO_SALE)
    sao.wait_for_value("reference", EURO_SALE)
    outcome = publish_open_invoice(sao, PUBLISH, screenshot="rest-4-published")
    assert "published" in outcome.lower(), outcome
    number = wait_published(sao)
    sales = [s for s in product.mock_account(credentials.username)["invoices"]
             if str(s["InvoiceNumber"]) == number]
    assert [(s["CurrencyCode"], s["NetAmount"]) for s in sales] == [("EUR", "1100.00")]
    assert mock_calls(product).get("POST /invoices", 0) == before + 1
