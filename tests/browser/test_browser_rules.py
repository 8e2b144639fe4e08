"""A supplier rule set in the browser, then obeyed: the supplier's next bill goes to KashFlow
with the rule's values, on its own, when it is posted.

The administrator writes the rule for Rail & Hotel Travel Ltd (Financial > Configuration >
KashFlow > Supplier and Customer Rules): its nominal code, a description for every line, paid
by card from the current account, and Auto-Publish Always. The plain user then opens the
supplier's draft bill RHT-44109, finds the rule's values on its KashFlow tab, and posts it;
nothing else is clicked. The bill arrives once in the mock KashFlow's Purchases, paid.
"""

from __future__ import annotations

from product import Product

from .flows import (
    SupplierRule,
    open_supplier_invoice,
    set_supplier_rule,
    wait_published,
)
from .kashflow_web import KashFlowWeb
from .sao import Sao

RULE = SupplierRule(supplier="Rail & Hotel Travel Ltd", nominal_code="7400",
                    nominal="7400 - Travel",
                    description="Staff travel", payment_method="Credit/Debit Card",
                    bank_account="Current Account")
BILL = "RHT-44109"  # the demo's draft bill of Rail & Hotel Travel Ltd: 2 rail fares at 64.30


def rules(product: Product) -> list[dict]:
    return product.session("admin").search_read(
        "kashflow.partner_rule", [], ["party.name", "kind", "auto_publish", "paid"])


def test_a_supplier_rule_publishes_the_posted_bill_with_its_values(
        admin: Sao, plain_user: Sao, mapped: dict, purchases: KashFlowWeb,
        product: Product) -> None:
    set_supplier_rule(admin, RULE)
    admin.screenshot("rule-1-supplier-rule")
    [rule] = rules(product)
    assert (rule["party."]["name"], rule["kind"], rule["auto_publish"], rule["paid"]) == (
        RULE.supplier, "supplier", "always", True)

    open_supplier_invoice(plain_user, BILL)
    plain_user.open_page("KashFlow")
    plain_user.wait(lambda: RULE.supplier in str(plain_user.value("kashflow_rule")),
                    "the bill's KashFlow tab to name the supplier's rule")
    assert plain_user.value("kashflow_state") == "Not Published"
    assert plain_user.value("kashflow_nominal") == RULE.nominal
    assert plain_user.value("kashflow_description") == RULE.description
    assert plain_user.value("kashflow_paid") is True
    assert plain_user.value("kashflow_payment_method") == RULE.payment_method
    assert RULE.bank_account in str(plain_user.value("kashflow_bank_account"))

    plain_user.click_button("Post")
    plain_user.confirm("Are you sure you want to post the invoices?")
    number = wait_published(plain_user)
    plain_user.scroll_to("kashflow_state")
    plain_user.screenshot("rule-2-posted-and-published")

    [invoice] = product.session("admin").search_read(
        "account.invoice", [("reference", "=", BILL)], ["state", "kashflow_state"])
    assert (invoice["state"], invoice["kashflow_state"]) == ("posted", "published")

    assert purchases.purchase_references().count(BILL) == 1
    bill = purchases.open_purchase(BILL)
    assert bill.number == number
    assert [(line["Description"], line["Nominal code"].split()[0]) for line in bill.lines] \
        == [(RULE.description, "7400")]
    assert [(p["Method"], p["Bank account"], p["Amount"]) for p in bill.payments] \
        == [(RULE.payment_method, f"{RULE.bank_account} (1200)", bill.totals["Total"])]
    assert bill.totals["Outstanding"] == "£0.00"
    purchases.screenshot("rule-3-kashflow-purchase-paid")
