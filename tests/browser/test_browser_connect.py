"""Connecting Tryton to KashFlow in the browser, following Dext's article step by step.

KashFlow side (the mock's pages): log in, Apps > API Settings, check Enable SOAP API and Enable
AutoAuth are ticked, note the username, Copy code. Tryton side (sao): Financial > Configuration
> KashFlow > Connections, the company's connection, Connect Software, the steps page, tick "I
have completed all of the above steps", username, password and API key, Connect, Finish.

The tests run in this order in one session: the wrong key first, on a connection never
connected (so "nothing saved" means no credentials at all), then the real connection.
"""

from __future__ import annotations

from product import Product

from .flows import (
    CONNECT,
    CONNECTIONS,
    CREDENTIALS_PAGE,
    DONE_PAGE,
    LISTS,
    STEPS_PAGE,
    Credentials,
    confirm_steps,
    connections,
    demo_credentials,
    enter_credentials,
    open_connection,
    start_connect_wizard,
)
from .kashflow_web import KashFlowWeb
from .sao import Sao

APP_NAME = "Tryton (dext-kashflow)"  # the comment KashFlow writes next to the IP it lets in


def app_addresses(product: Product) -> list[dict]:
    return [entry for entry in product.mock_account()["access_list"]
            if entry.get("comment") == APP_NAME]


def test_a_wrong_api_key_is_explained_and_nothing_is_saved(admin: Sao, product: Product) -> None:
    before = connections(product)
    addresses_before = app_addresses(product)
    good = demo_credentials(product)

    open_connection(admin, product)
    start_connect_wizard(admin)
    confirm_steps(admin)
    enter_credentials(admin, Credentials(good.username, good.password, "0000-WRONG-KEY"))
    admin.click_button("Connect")

    message = admin.error_message()
    admin.screenshot("connect-error-wrong-api-key")
    # What to do about it, in the person's words: AutoAuth, the key, where to paste it.
    assert "Enable AutoAuth" in message, message
    assert "API key field" in message, message
    assert "The AutoAuth key is incorrect" in message, message  # KashFlow's own reason
    admin.close_error()

    # The wizard stays on the credentials page to correct the key; cancelling leaves the
    # connection as it was.
    admin.wait_for_text(CREDENTIALS_PAGE)
    admin.click_button("Cancel")
    admin.wait_for_dialog_closed()

    after = connections(product)
    assert app_addresses(product) == addresses_before
    if before:  # connected by an earlier test: unchanged
        assert after == before
    else:  # the record the form saved before the wizard: no credentials, not connected
        assert len(after) == 1, after
        saved = after[0]
        assert saved["state"] == "not_connected"
        assert [saved[name] for name in ("username", "kashflow_company",
                                          "connected_at")] == [None] * 3
        assert not saved["password_set"] and not saved["autoauth_secret_set"]
        admin.reload()
        admin.wait_for_value("state", "Not Connected")
        assert admin.value("username") == ""


def test_connect_following_the_dext_steps(admin: Sao, kashflow_web: KashFlowWeb,
                                          product: Product) -> None:
    credentials = demo_credentials(product)
    assert not app_addresses(product), (
        "this test connects for the first time: it must run before any other test of the "
        "session connects (in file order it does)")

    # In KashFlow: log in, Apps > API Settings, check the switches, note the username and
    # copy the AutoAuth key.
    kashflow_web.login(credentials.username, credentials.password)
    kashflow_web.open_api_settings()
    settings = kashflow_web.read_api_settings()
    kashflow_web.screenshot("connect-1-kashflow-api-settings")
    assert settings.soap_api_enabled and settings.autoauth_enabled
    assert settings.username == credentials.username
    assert settings.autoauth_key == credentials.api_key  # as scripts/run printed it
    assert settings.copy_status in ("Copied", "Selected: press Ctrl+C to copy")

    # In Tryton: the company's connection; its Service URL is the mock's by default.
    admin.focus()
    open_connection(admin, product)
    assert admin.value("Service URL") == product.mock_service
    admin.wait_for_value("state", "Not Connected")
    assert admin.has_button(CONNECT)

    start_connect_wizard(admin)
    assert admin.dialog_title() == "Connect Software (Demo Trading Ltd)"
    for step in ("1. Select Apps in the top menu, then API Settings.",
                 "2. Check that Enable SOAP API is ticked.",
                 "3. Tick Enable AutoAuth to get your AutoAuth key.",
                 "4. Note the username shown on the page.",
                 "5. Select Copy code to copy the AutoAuth key."):
        assert step in admin.text(), step
    link = admin.field("KashFlow API Settings")  # the link button next to the address
    assert link.get_attribute("href") == f"{product.mock}/api-settings"
    assert admin.value("url") == product.mock_service
    admin.screenshot("connect-2-wizard-steps")

    # Next without the tick: the wizard says what to do.
    admin.click_button("Next")
    assert "tick \"I have completed all of the above steps\"" in admin.error_message()
    admin.close_error()
    admin.wait_for_text(STEPS_PAGE)

    confirm_steps(admin)
    enter_credentials(admin, Credentials(settings.username, credentials.password,
                                         settings.autoauth_key))
    admin.screenshot("connect-3-wizard-credentials")
    admin.click_button("Connect")

    admin.wait_for_text(DONE_PAGE)
    assert admin.value("kashflow_company") == "Demo Trading Ltd"
    admin.screenshot("connect-4-wizard-done")
    admin.click_button("Finish")
    admin.wait_for_dialog_closed()

    # The connection: connected, and KashFlow let this server's address in.
    admin.wait_for_value("state", "Connected")
    assert admin.value("username") == credentials.username
    assert admin.value("kashflow_company") == "Demo Trading Ltd"
    assert admin.value("connected_at")
    assert not admin.has_button(CONNECT) and admin.has_button("Reconnect")
    admin.screenshot("connect-5-connection-connected")
    [saved] = connections(product)
    assert (saved["state"], saved["username"], saved["password_set"],
            saved["autoauth_secret_set"]) == ("connected", credentials.username, True, True)
    assert [entry["ip"] for entry in app_addresses(product)] == ["127.0.0.1"]
    assert_secrets_kept_secret(admin, product, credentials)

    # The lists came over: the Refresh page sums them up, each list counts what KashFlow has.
    kashflow = product.mock_account(credentials.username)
    payment_methods = sum(len(methods) for methods in kashflow["payment_methods"].values())
    expected = {  # menu entry: (summary line, records)
        "Nominal Codes": ("KashFlow Nominal Code", len(kashflow["nominal_codes"])),
        # KashFlow does not list "exempt" (-1), which every line may use: Tryton adds it.
        "VAT Rates": ("KashFlow VAT Rate", len(kashflow["vat_rates"]) + 1),
        "Suppliers": ("KashFlow Supplier", len(kashflow["suppliers"])),
        "Customers": ("KashFlow Customer", len(kashflow["customers"])),
        "Bank Accounts": ("KashFlow Bank Account", len(kashflow["bank_accounts"])),
        "Projects": ("KashFlow Project", len(kashflow["projects"])),
        "Payment Methods": ("KashFlow Payment Method", payment_methods),
        "Currencies": ("KashFlow Currency", len(kashflow["currencies"])),
    }
    admin.open_page("Refresh")
    admin.wait_for_value("refresh_state", "Done", reload=True)  # the queue worker's
    assert admin.value("last_refresh")
    summary = admin.value("refresh_summary")
    for line, count in expected.values():
        assert f"{line}: {count} ({count} new, 0 changed, 0 deactivated)" in summary, summary
    admin.screenshot("connect-6-connection-refresh-summary")

    for entry, (_line, count) in expected.items():
        admin.open_menu(*LISTS, entry)
        admin.wait_for_count(count, f"the list {entry}")
        if entry == "Nominal Codes":
            admin.screenshot("connect-7-nominal-codes")
        if entry == "Suppliers":  # by the names KashFlow has
            for supplier in kashflow["suppliers"]:
                admin.row(supplier["Name"])


def assert_secrets_kept_secret(admin: Sao, product: Product, credentials: Credentials) -> None:
    """The form says that the password and key are set, and shows neither; the administrator's
    own client cannot read them back; Tryton's logs have neither (trytond logs each call with
    its arguments, at most 17 characters of each: look for the key's beginning too)."""
    assert admin.value("password_set") and admin.value("autoauth_secret_set")
    assert admin.value("password") == "" and admin.value("autoauth_secret") == ""
    page = admin.driver.page_source
    read = product.session("admin").call("model.kashflow.connection.read",
                                         [connections(product)[0]["id"]],
                                         ["password", "autoauth_secret"])
    # Tryton's logs; the mock KashFlow's prints its demo account, as it is there for.
    logs = "".join(path.read_text(errors="replace")
                   for path in (product.var / "log").glob("*.log")
                   if not path.name.startswith("mock"))
    assert "kashflow.connection.connect.execute(" in logs  # trytond logged the wizard's calls
    assert "[dext_kashflow]" in (product.var / "trytond.conf").read_text()
    for secret in (credentials.password, credentials.api_key, credentials.api_key[:12]):
        assert secret not in page
        assert secret not in str(read)
        assert secret not in logs, f"{secret!r} is in the server's logs"


def test_connect_wizard_pages_fit_in_their_dialog(admin: Sao, connected: dict,
                                                  product: Product) -> None:
    """Each page of the wizard reads without scrolling sideways (sao's wizard dialog is
    600 pixels wide; a label is as wide as its text, up to 80 characters)."""
    credentials = demo_credentials(product)
    open_connection(admin, product)
    start_connect_wizard(admin)  # Reconnect: the same wizard
    too_wide = []
    if admin.overflows():
        too_wide.append("steps")
    confirm_steps(admin)
    enter_credentials(admin, credentials)
    if admin.overflows():
        too_wide.append("credentials")
    admin.click_button("Connect")
    admin.wait_for_text(DONE_PAGE)
    if admin.overflows():
        too_wide.append("done")
    admin.click_button("Finish")
    admin.wait_for_dialog_closed()
    admin.wait_for_value("state", "Connected")
    assert not too_wide, (f"the Connect wizard's pages {too_wide} are wider than their "
                          "dialog: their texts are cut and need a sideways scroll")


def test_nominal_codes_read_as_codes(admin: Sao, connected: dict) -> None:
    """A nominal code is a code, as KashFlow and the chart of accounts write it: 7502, not
    a quantity with a thousands separator."""
    admin.open_menu(*LISTS, "Nominal Codes")
    admin.search("Telephone")
    admin.wait_for_count(1, "the nominal codes called Telephone")
    row = admin.row("Telephone")
    assert "7502" in row.split(), f"the nominal code 7502 shows as {row!r}"


def test_connections_menu_is_reachable_after_connecting(admin: Sao, connected: dict) -> None:
    """The list of connections, with the connected one in it."""
    admin.open_menu(*CONNECTIONS)
    admin.wait_for_count(1, "the list of connections")
    row = admin.row("Demo Trading Ltd")
    assert "Connected" in row and connected["username"] in row, row
