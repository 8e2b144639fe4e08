"""Documents in a foreign currency, and a nominal code chosen for one line, in the browser.

The plain user (KashFlow Publisher) previews the demo's euro bill MB-55012 of Müller
Bürobedarf GmbH (Preview KashFlow Document: the document as it will be sent, in euros at
the rate, with its pounds), then publishes it from its form: the mock KashFlow's Purchases
show it in euros and in pounds, and the bill, read back from KashFlow and compared, shows no
KashFlow Warning. On the dollar bill CH-2026-1187 of CloudHost Inc, the publisher puts the
line on another nominal code in the KashFlow tab's list of lines, sees what the line will be
sent as change, and publishes it: KashFlow has the line on that nominal code, which can then
no longer be changed.

The tests run in this order in one session (the preview is of the bill not yet published).
The demo's documents published here, and nowhere else: MB-55012 and CH-2026-1187 (every
posted supplier invoice of two lines or more is test_browser_publish.py's).
"""

from __future__ import annotations

import re

from product import Product
from selenium.webdriver.common.by import By

from .flows import (
    PUBLISH,
    open_supplier_invoice,
    publish_open_invoice,
    read_outcome,
    wait_published,
)
from .kashflow_web import KashFlowWeb
from .sao import Sao

PREVIEW = "Preview KashFlow Document"
LINES = "Lines for KashFlow"  # the KashFlow tab's list of the document's lines
EURO_BILL = "MB-55012"  # 3 toner cartridges at 75.00 EUR, 20% VAT
DOLLAR_BILL = "CH-2026-1187"  # business broadband at 120.00 USD, 20% VAT
# The euro bill as the preview words it (the dates aside): the rate is the demo's, 1.17 euros
# to the pound, and the pounds are KashFlow's conversion of the totals.
EURO_PREVIEW = [
    "Purchase invoice from [MULL01] Müller Bürobedarf GmbH",
    "In EUR at 1.17 to the GBP",
    "",
    "1. Toner cartridge: 3 x 75.00, 7504 - Office Stationery, VAT 20% = 45.00, project -",
    "",
    "Net 225.00, VAT 45.00, total 270.00 EUR",
    "In GBP, as KashFlow works it out: net 192.31, VAT 38.46, total 230.77",
]


def test_the_preview_shows_a_euro_bill_as_it_will_be_sent(plain_user: Sao,
                                                          mapped: dict) -> None:
    """The publisher opens the euro bill, KashFlow tab, Preview KashFlow Document: a dialog
    reads the supplier, the euros at their rate, the line, the totals and their pounds; no
    publishing error. Close: back on the bill, still to publish."""
    sao = plain_user
    open_supplier_invoice(sao, EURO_BILL)
    sao.open_page("KashFlow")
    sao.click_button(PREVIEW)
    sao.wait(lambda: sao.dialog() is not None and sao.has_field("document"),
             "the preview's dialog")
    assert sao.dialog_title().startswith(PREVIEW), sao.dialog_title()
    document = sao.wait(lambda: sao.value("document"), "the document in the preview")
    first, dates, *rest = str(document).split("\n")
    assert [first, *rest] == EURO_PREVIEW, document
    assert re.fullmatch(rf"Dated \S+, due \S+, reference {EURO_BILL}", dates), dates
    assert not sao.has_field("problems")  # no publishing error to read
    assert not sao.overflows()
    sao.screenshot("currency-1-preview")
    sao.click_button("Close")
    sao.wait_for_dialog_closed()
    assert sao.value("kashflow_state") == "Not Published"


def purchase_row(purchases: KashFlowWeb, reference: str) -> dict[str, str]:
    """KashFlow's Purchases (top menu): the list's row of the purchase with reference, as
    {column heading: text} (a foreign purchase's total shows its pounds under it)."""
    purchases.open_main_menu("Purchases")
    table = purchases.driver.find_element(By.CSS_SELECTOR, "table.data")
    headings = [(th.get_attribute("textContent") or "").strip()
                for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [dict(zip(headings, (td.text.strip() for td in tr.find_elements(By.TAG_NAME, "td")),
                     strict=False))
            for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    found = [row for row in rows if row.get("Reference") == reference]
    assert len(found) == 1, (reference, rows)
    return found[0]


def test_a_euro_bill_is_published_in_euros_with_its_pounds(
        plain_user: Sao, mapped: dict, purchases: KashFlowWeb) -> None:
    """The publisher publishes the euro bill from its form and is told as which KashFlow
    purchase. KashFlow's Purchases list it in euros, its total in pounds under it; its page
    says the rate. Read back and compared, KashFlow's figures are Tryton's: the KashFlow tab
    logs the comparison, and shows no KashFlow Warning."""
    sao = plain_user
    open_supplier_invoice(sao, EURO_BILL)
    sao.click_button(PUBLISH)
    outcome = read_outcome(sao)
    said = re.fullmatch(r"Published as KashFlow purchase (\d+)\.", outcome)
    assert said, outcome
    sao.screenshot("currency-2-eur-published")
    sao.click_button("Close")
    sao.wait_for_dialog_closed()
    sao.open_page("KashFlow")
    assert wait_published(sao) == said[1]
    compared = sao.list_row("Publication Log", "Compare with KashFlow")
    assert compared["Outcome"] == "Done", compared
    assert not sao.has_field("kashflow_warning")
    assert "KashFlow Warning" not in sao.text()

    row = purchase_row(purchases, EURO_BILL)
    assert row["Number"] == said[1], row
    assert row["Supplier"] == "Müller Bürobedarf GmbH", row
    assert (row["Net"], row["VAT"]) == ("€225.00", "€45.00"), row
    assert row["Total"].split() == ["€270.00", "£230.77"], row  # euros, then pounds
    purchases.screenshot("currency-3-kashflow-purchases-eur")

    purchase = purchases.open_purchase(EURO_BILL)
    assert purchase.number == said[1]
    assert "EUR at 1.17 to the GBP" in purchases.driver.find_element(
        By.CSS_SELECTOR, "dl.facts").text
    [line] = purchase.lines
    assert (line["Qty"], line["Rate"], line["Nominal code"]) == (
        "3", "€75.00", "7504 Office Stationery"), line
    assert {name: purchase.totals[name] for name in (
        "Net", "VAT", "Total", "Net in GBP", "VAT in GBP", "Total in GBP")} == {
        "Net": "€225.00", "VAT": "€45.00", "Total": "€270.00",
        "Net in GBP": "£192.31", "VAT in GBP": "£38.46", "Total in GBP": "£230.77",
    }, purchase.totals
    purchases.screenshot("currency-4-kashflow-purchase-eur")


def nominal_id(product: Product, code: str) -> int:
    """The KashFlow id of the demo account's nominal code (what a line's ChargeType holds)."""
    found, = [n["id"] for n in product.mock_account()["nominal_codes"] if str(n["Code"]) == code]
    return found


def test_a_line_published_on_its_own_nominal_code(plain_user: Sao, mapped: dict,
                                                  product: Product) -> None:
    """The publisher opens the dollar bill's KashFlow tab: its line will be sent on the
    account's mapping, 7502 - Telephone. They choose 8201 - Subscriptions as the line's
    KashFlow Nominal Code in the list, save, and the list says the line will be sent on it;
    published, KashFlow has the line on 8201, and the line's nominal code is read-only."""
    sao = plain_user
    open_supplier_invoice(sao, DOLLAR_BILL)
    sao.open_page("KashFlow")
    line = sao.list_row(LINES, "7502 - Telephone")
    assert line["KashFlow Nominal Code"] == "", line
    assert line["Nominal Code Sent"] == "7502 - Telephone", line
    assert (line["VAT Rate Sent"], line["Net Sent"], line["VAT Sent"]) == (
        "20%", "120.00", "24.00"), line

    entry = sao.edit_cell(LINES, "7502 - Telephone", "KashFlow Nominal Code")
    sao.choose_in(entry, "8201", "8201 - Subscriptions", "the line's KashFlow Nominal Code")
    sao.save()

    def sent_on_subscriptions() -> dict[str, str] | None:
        row = sao.list_row(LINES, "7502 - Telephone")
        return row if row["Nominal Code Sent"] == "8201 - Subscriptions" else None
    line = sao.wait(sent_on_subscriptions,
                    lambda: f"the line to be sent on 8201 - Subscriptions once saved "
                            f"(the list shows {sao.list_rows(LINES)!r})")
    assert line["KashFlow Nominal Code"] == "8201 - Subscriptions", line
    assert (line["VAT Rate Sent"], line["Net Sent"], line["VAT Sent"]) == (
        "20%", "120.00", "24.00"), line
    sao.screenshot("lines-1-override")

    outcome = publish_open_invoice(sao, PUBLISH)
    number = wait_published(sao)
    assert outcome == f"Published as KashFlow purchase {number}.", outcome
    receipts = [r for r in product.mock_account()["receipts"]
                if r["CustomerReference"] == DOLLAR_BILL]
    assert len(receipts) == 1, receipts
    [sent] = receipts[0]["Lines"]
    assert sent["ChargeType"] == nominal_id(product, "8201"), sent
    assert receipts[0]["CurrencyCode"] == "USD", receipts[0]
    line = sao.list_row(LINES, "8201 - Subscriptions")
    assert line["Nominal Code Sent"] == "8201 - Subscriptions", line
    sao.screenshot("lines-2-published")

    # What was sent no longer changes: the line's cell, clicked to edit, takes no typing.
    entry = sao.edit_cell(LINES, "8201 - Subscriptions", "KashFlow Nominal Code")
    assert entry.get_property("readOnly") or not entry.is_enabled(), (
        "the published line's KashFlow Nominal Code can still be typed into")
