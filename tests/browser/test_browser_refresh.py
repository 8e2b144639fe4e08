"""Refresh integration data: KashFlow's lists are read again on demand, from the connection.

A supplier added in KashFlow meanwhile shows up in Tryton's list of suppliers, and the
connection's Refresh page says when the last refresh was and what it changed.
"""

from __future__ import annotations

import uuid

import requests
from product import Product, rpc_datetime

from .flows import LISTS, REFRESH, connections, open_connection
from .sao import Sao


def test_refresh_integration_data_brings_a_new_supplier(admin: Sao, connected: dict,
                                                        product: Product) -> None:
    username = connected["username"]
    name = f"Refresh Test Supplier {uuid.uuid4().hex[:6]}"
    requests.post(f"{product.mock}/_mock/accounts/{username}/suppliers", timeout=10,
                  json={"Code": f"RT{uuid.uuid4().hex[:4].upper()}", "Name": name},
                  ).raise_for_status()
    suppliers = len(product.mock_account(username)["suppliers"])

    open_connection(admin, product)
    admin.open_page("Refresh")
    admin.click_button(REFRESH)
    # Where it was pressed, a dialog says that it started (in the background) or how it ended.
    admin.wait(lambda: admin.dialog() is not None and admin.has_field("status"),
               "the dialog of Refresh Integration Data")
    status = admin.wait(lambda: admin.value("status"), "the refresh's status in the dialog")
    assert ("being refreshed from KashFlow in the background" in status
            or "The lists were refreshed from KashFlow at" in status), status
    admin.screenshot("refresh-started")
    admin.click_button("Close")
    admin.wait_for_dialog_closed()
    # The queue worker refreshes: the form is reloaded until it shows this refresh's summary.
    admin.wait_reloading(
        lambda: admin.value("refresh_state") == "Done" and
        f"KashFlow Supplier: {suppliers} (1 new, 0 changed, 0 deactivated)"
        in admin.value("refresh_summary"),
        lambda: f"the summary to count {suppliers} suppliers, 1 new "
                f"(it says {admin.value('refresh_summary')!r})")
    assert "KashFlow Nominal Code: " in admin.value("refresh_summary")
    assert admin.value("last_refresh")
    admin.screenshot("refresh-done")

    [after] = connections(product)
    assert after["state"] == "connected" and after["refresh_state"] == "done"
    assert rpc_datetime(after["last_refresh"]) > rpc_datetime(connected["last_refresh"])

    admin.open_menu(*LISTS, "Suppliers")
    admin.wait_for_count(suppliers, "the list of suppliers")
    admin.search(name)
    admin.wait_for_count(1, f"the suppliers called {name!r}")
    admin.row(name)
