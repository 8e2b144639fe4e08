"""What a KashFlow administrator does in sao, step by step, for the tests to share.

Publishing flows (publish an invoice, a selection, retry a failure) belong here too, next to
the connection's: each flow takes a logged-in Sao and says what it clicks.
"""

from __future__ import annotations

from dataclasses import dataclass

from product import Product

from .sao import Sao

CONNECTIONS = ("Financial", "Configuration", "KashFlow", "Connections")
LISTS = ("Financial", "KashFlow", "Lists")
PUBLICATIONS = ("Financial", "KashFlow", "Publications")
NOT_YET_PUBLISHED = ("Financial", "KashFlow", "Documents Not Yet Published")
CONNECT = "Connect Software"
RECONNECT = "Reconnect"
REFRESH = "Refresh Integration Data"

# The connect wizard's pages, by a sentence each shows.
STEPS_PAGE = "Before you connect, complete these steps in KashFlow:"
CREDENTIALS_PAGE = "Enter the username shown on KashFlow's API Settings"
DONE_PAGE = "The connection to KashFlow has been made."

# The password and API key are write-only: an administrator reads whether they are set.
CONNECTION_FIELDS = ["state", "username", "password_set", "autoauth_secret_set",
                     "kashflow_company", "connected_at", "url", "refresh_state", "last_refresh",
                     "refresh_summary", "state_message"]


@dataclass
class Credentials:
    username: str
    password: str
    api_key: str


def demo_credentials(product: Product) -> Credentials:
    """The mock's demo account, as scripts/run printed it."""
    return Credentials(product.printed("username"), product.printed("password"),
                       product.printed("AutoAuth key"))


def connections(product: Product) -> list[dict]:
    """The KashFlow connections in the database, as the administrator reads them."""
    return product.session("admin").search_read("kashflow.connection", [],
                                                 ["id", *CONNECTION_FIELDS])


def account_mappings(product: Product) -> list[dict]:
    """The account mappings in the database (Suggest Mappings makes them)."""
    return product.session("admin").search_read("kashflow.account_mapping", [],
                                                 ["id", "account.code", "nominal"])


def open_connection(sao: Sao, product: Product) -> None:
    """Financial > Configuration > KashFlow > Connections, then the company's connection in
    the form (a new one when there is none yet)."""
    existing = len(connections(product))
    sao.open_menu(*CONNECTIONS)
    sao.wait_for_count(existing, "the list of connections")
    if existing:
        sao.open_row()
    else:
        sao.new_record()
    sao.wait_for_value("company", "Demo Trading Ltd")


def start_connect_wizard(sao: Sao) -> None:
    """Connect Software (Reconnect once connected): the wizard's first page."""
    sao.wait(lambda: sao.has_button(CONNECT) or sao.has_button(RECONNECT),
             f"a {CONNECT!r} or {RECONNECT!r} button")
    sao.click_button(CONNECT if sao.has_button(CONNECT) else RECONNECT)
    sao.wait_for_text(STEPS_PAGE)


def confirm_steps(sao: Sao) -> None:
    """Tick "I have completed all of the above steps", Next: the credentials page."""
    sao.fill("I have completed all of the above steps", True)
    sao.click_button("Next")
    sao.wait_for_text(CREDENTIALS_PAGE)


def enter_credentials(sao: Sao, credentials: Credentials) -> None:
    sao.fill("KashFlow Username", credentials.username)
    sao.fill("KashFlow Password", credentials.password)
    sao.fill("API Key", credentials.api_key)


def connect(sao: Sao, product: Product, credentials: Credentials) -> None:
    """The whole Connect wizard, from the connection's form to its Finish button."""
    open_connection(sao, product)
    start_connect_wizard(sao)
    confirm_steps(sao)
    enter_credentials(sao, credentials)
    sao.click_button("Connect")
    sao.wait_for_text(DONE_PAGE)
    sao.click_button("Finish")
    sao.wait_for_dialog_closed()
    sao.wait_for_value("state", "Connected")


# Publishing ------------------------------------------------------------------------------

SUPPLIER_INVOICES = ("Financial", "Invoices", "Supplier Invoices")
PUBLISH = "Publish to KashFlow"
RETRY = "Retry Publishing"
LINK = "Link to KashFlow Document"
ALLOW_DUPLICATE = "Publish Even If Already in KashFlow"
SUGGEST = "Suggest Mappings"


def open_supplier_invoice(sao: Sao, reference: str) -> None:
    """Financial > Invoices > Supplier Invoices, the list's All tab (the demo's few invoices
    fit on one page), the row of the supplier's reference opened in the form."""
    sao.open_menu(*SUPPLIER_INVOICES)
    sao.open_list_tab("All")
    sao.row(reference)
    sao.open_row(reference)
    sao.wait_for_value("reference", reference)


def publish_open_invoice(sao: Sao, button: str = PUBLISH, screenshot: str = "") -> str:
    """Click Publish to KashFlow (or Retry Publishing) on the invoice in the form, read the
    dialog that says how it went (its screenshot taken when named), close it, and show the
    KashFlow tab. What the dialog said."""
    sao.click_button(button)
    outcome = read_outcome(sao)
    if screenshot:
        sao.screenshot(screenshot)
    sao.click_button("Close")
    sao.wait_for_dialog_closed()
    sao.open_page("KashFlow")
    return outcome


def publish_selection(sao: Sao, action: str, *references: str, queued: int,
                      screenshot: str = "") -> None:
    """In the list in front, tick the rows showing references, run action (Publish to
    KashFlow, Retry Publishing) from the action menu, press Publish in its wizard, check that
    it handed queued documents to the queue worker (scripts/run runs one) and none failed its
    check (its screenshot taken when named), and close it."""
    for reference in references:
        sao.row(reference)
    sao.select_rows(*references)
    sao.launch_action(action)
    sao.wait(sao.dialog, f"the wizard {action}")
    sao.click_button("Publish")
    sao.wait_for_value("queued", str(queued))
    assert sao.value("failed") == "0", sao.value("report")
    if screenshot:
        sao.screenshot(screenshot)
    sao.click_button("Close")
    sao.wait_for_dialog_closed()


def read_outcome(sao: Sao) -> str:
    """The sentence of the dialog Publish and Retry open: how publishing went."""
    sao.wait(lambda: sao.dialog() is not None and sao.has_field("outcome"),
             "the dialog saying how publishing went")
    return sao.wait(lambda: sao.value("outcome"), "the outcome in the dialog")


def wait_published(sao: Sao) -> str:
    """The KashFlow tab shows Published and a number: the number. (The queue worker
    publishes: the form is reloaded while waiting.)"""
    sao.wait_for_value("kashflow_state", "Published", reload=True)
    return sao.wait(lambda: sao.value("kashflow_number"), "the KashFlow number")


# Supplier and customer rules ---------------------------------------------------------------

RULES = ("Financial", "Configuration", "KashFlow", "Supplier and Customer Rules")


@dataclass
class SupplierRule:
    """What an administrator enters on a supplier's rule, as the form's fields show it."""

    supplier: str
    nominal_code: str  # typed in Default Nominal Code ("7400")
    nominal: str  # the suggestion picked, as the field then shows it ("7400 - Travel")
    description: str
    payment_method: str
    bank_account: str
    auto_publish: str = "Always"


def set_supplier_rule(sao: Sao, rule: SupplierRule) -> None:
    """Financial > Configuration > KashFlow > Supplier and Customer Rules, New: the supplier,
    Publish To KashFlow, its nominal code, a description, paid from a bank account, and
    Auto-Publish; then Save."""
    sao.open_menu(*RULES)
    sao.wait(lambda: sao.view() == "tree", "the list of rules")
    sao.new_record()
    sao.choose("party", rule.supplier)
    sao.wait_for_value("kind", "Supplier")
    sao.fill("destination", "KashFlow (Purchases or Sales invoices)")
    sao.fill("auto_publish", rule.auto_publish)
    sao.choose("nominal", rule.nominal_code, rule.nominal)
    sao.fill("description", rule.description)
    sao.fill("paid", True)
    sao.choose("payment_method", rule.payment_method)
    sao.choose("bank_account", rule.bank_account)
    sao.save()
