"""Publishing supplier invoices to KashFlow in the browser, as a bookkeeper does.

Admin maps the accounts and taxes (Suggest Mappings on the connection); then posted supplier
invoices of the demo are published one by one from the form, several at once with the list's
action, one after a failure (a fault injected in the mock KashFlow) with Retry Publishing, and
one that the bookkeeper had already typed into KashFlow, linked to it. Each ends once in the
mock KashFlow's Purchases list.

The demo's posted supplier invoices, by reference, one test each (none is published twice):
BT-2291-0031 (the form), OSD-558102 and GPL-RENT-0110 (the action), NPG-7730114 (failure),
OSD-CR-0412 (already in KashFlow).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import requests
from product import Product

from kashflow import KashFlowClient
from kashflow.models import Document, DocumentLine

from .flows import (
    ALLOW_DUPLICATE,
    LINK,
    PUBLISH,
    RETRY,
    SUGGEST,
    account_mappings,
    demo_credentials,
    open_connection,
    open_supplier_invoice,
    publish_open_invoice,
    publish_selection,
    read_outcome,
    wait_published,
)
from .kashflow_web import KashFlowWeb
from .sao import Sao


def test_suggest_mappings_maps_the_accounts(admin: Sao, connected: dict,
                                            product: Product) -> None:
    open_connection(admin, product)
    admin.click_button(SUGGEST)
    admin.open_page("Mappings")
    admin.wait(lambda: any(row.strip() for row in admin.rows()),
               lambda: f"a mapping in the Mappings tab (rows: {admin.rows()!r})")
    assert account_mappings(product)


def test_publish_one_invoice_from_its_form(plain_user: Sao, mapped: dict,
                                           purchases: KashFlowWeb) -> None:
    """The plain user (KashFlow Publisher, not administrator) publishes, and is told at once,
    over the form, as which KashFlow purchase, with its link."""
    reference = "BT-2291-0031"
    open_supplier_invoice(plain_user, reference)
    plain_user.click_button(PUBLISH)
    outcome = read_outcome(plain_user)
    said = re.fullmatch(r"Published as KashFlow purchase (\d+)\.", outcome)
    assert said, outcome
    assert plain_user.value("url").endswith(f"/purchases/{said[1]}"), plain_user.value("url")
    plain_user.screenshot("publish-1-outcome")
    plain_user.click_button("Close")
    plain_user.wait_for_dialog_closed()
    plain_user.open_page("KashFlow")
    assert wait_published(plain_user) == said[1]
    plain_user.screenshot("publish-1-invoice-published")

    assert purchases.purchase_references().count(reference) == 1


def test_publish_several_invoices_with_the_action(admin: Sao, mapped: dict,
                                                  purchases: KashFlowWeb) -> None:
    references = ("OSD-558102", "GPL-RENT-0110")
    admin.open_menu("Financial", "Invoices", "Supplier Invoices")
    admin.open_list_tab("All")
    # scripts/run runs Tryton's queue worker: the wizard hands both to it and says so.
    publish_selection(admin, PUBLISH, *references, queued=2,
                      screenshot="publish-2-wizard-result")

    def published() -> list[str]:
        found = purchases.purchase_references()
        return found if all(found.count(r) == 1 for r in references) else []
    found = purchases.wait(published, lambda: f"each of {references} once in KashFlow's "
                           f"purchases (they are {purchases.purchase_references()})")
    for reference in references:
        assert found.count(reference) == 1, (reference, found)


def test_a_failure_shows_its_reason_then_retry_publishes_once(
        admin: Sao, mapped: dict, purchases: KashFlowWeb, product: Product,
        no_faults: None) -> None:
    reference = "NPG-7730114"
    open_supplier_invoice(admin, reference)
    requests.post(f"{product.mock}/_mock/faults", timeout=10,
                  json={"operation": "InsertReceipt", "kind": "rate_limit"},
                  ).raise_for_status()
    # KashFlow turned the bill away ("too many requests", nothing applied): the dialog says so
    # at once, and the form keeps the failure's message and hint. (A bill sent without an
    # answer is not sent again for a while: scenario_kashflow_publish_faults.rst.)
    outcome = publish_open_invoice(admin, PUBLISH, screenshot="publish-3-failure-outcome")
    assert outcome.startswith("Not published: KashFlow Unavailable."), outcome
    admin.wait(lambda: admin.value("kashflow_message"), "the KashFlow message")
    assert admin.value("kashflow_state") in ("Failed", "Publishing")
    assert "Retry" in admin.value("kashflow_hint")
    assert admin.has_button(RETRY)
    admin.screenshot("publish-3-failure-shown")

    outcome = publish_open_invoice(admin, RETRY)
    assert outcome == f"Published as KashFlow purchase {wait_published(admin)}.", outcome
    assert purchases.purchase_references().count(reference) == 1
    purchases.screenshot("publish-4-kashflow-purchases")


def type_into_kashflow(product: Product, supplier: str, reference: str,
                       net: Decimal, vat: Decimal, nominal_code: str) -> int:
    """What a bookkeeper does in KashFlow itself: a purchase entered by hand (through the
    API here, as the mock has no form for it). Its KashFlow number."""
    account = product.mock_account()
    supplier_id, = [s["SupplierID"] for s in account["suppliers"] if s["Name"] == supplier]
    nominal_id, = [n["id"] for n in account["nominal_codes"] if str(n["Code"]) == nominal_code]
    credentials = demo_credentials(product)
    with KashFlowClient(credentials.username, credentials.password,
                        url=product.mock_service) as client:
        return client.insert_receipt(Document(
            party_id=supplier_id, date=dt.date.today(), reference=reference,
            lines=[DocumentLine(Decimal(1), "Returned toner", net, nominal_id,
                                Decimal(20), vat)]))


def test_a_bill_already_in_kashflow_is_linked_not_sent_again(
        plain_user: Sao, mapped: dict, purchases: KashFlowWeb, product: Product) -> None:
    reference = "OSD-CR-0412"  # the demo's credit note for a returned toner
    typed = type_into_kashflow(product, "Office Supplies Direct", reference,
                               Decimal("-89.00"), Decimal("-17.80"), "7504")
    open_supplier_invoice(plain_user, reference)
    plain_user.open_page("KashFlow")
    assert not plain_user.has_label(ALLOW_DUPLICATE)  # offered only when it is needed
    outcome = publish_open_invoice(plain_user, PUBLISH)
    assert outcome.startswith("Not published: Already in KashFlow."), outcome
    plain_user.wait_for_value("kashflow_failure", "Already in KashFlow")
    assert plain_user.value("kashflow_state") == "Failed"
    message = plain_user.value("kashflow_message")
    assert f"with the reference {reference} (number {typed})" in message, message
    assert "Nothing was sent" in message
    assert LINK in plain_user.value("kashflow_hint")
    assert plain_user.has_label(ALLOW_DUPLICATE)
    assert plain_user.value("kashflow_allow_duplicate") is False
    plain_user.screenshot("publish-5-already-in-kashflow")

    plain_user.click_button(LINK)
    assert wait_published(plain_user) == str(typed)
    assert purchases.purchase_references().count(reference) == 1
