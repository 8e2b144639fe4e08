"""Logging in to sao, and who may reach the KashFlow connection.

As in Dext, only administrators connect the accounting software ("If you cannot see the
Connections section in the sidebar it means you don't have this access"): the connections
are under Financial > Configuration > KashFlow, which the plain user does not have, and the
connection's buttons are the KashFlow Administrator group's. The plain user, a KashFlow
Publisher, has Financial > KashFlow: the publications, the documents not yet published, the
log and KashFlow's lists.
"""

from __future__ import annotations

import pytest
from product import Product, RpcError

from .flows import CONNECT, CONNECTIONS, RECONNECT, REFRESH
from .sao import Sao


def test_admin_logs_in_and_finds_the_kashflow_connections(admin: Sao) -> None:
    assert admin.user_name().startswith("Administrator")
    assert {"Financial", "Administration"} <= set(admin.menu_entries())
    admin.open_menu(*CONNECTIONS)
    assert admin.view() == "tree"


def test_plain_user_cannot_reach_the_kashflow_connection(
        plain_user: Sao, connected: dict, product: Product) -> None:
    sao = plain_user
    assert sao.user_name().startswith("Demo User")
    # The menu: Financial without Configuration, so no Connections; Financial > KashFlow
    # has what a publisher follows.
    assert sao.has_menu("Financial", "Invoices")
    assert not sao.has_menu("Financial", "Configuration")
    assert sao.has_menu("Financial", "KashFlow", "Publications")
    assert not sao.has_menu("Financial", "KashFlow", "Connections")
    sao.screenshot("user-menu-publisher")

    # Following a link to the connection: it shows read-only, without the password and the
    # API key, and its buttons cannot be clicked.
    sao.open_url(f"demo/model/kashflow.connection/{connected['id']}")
    assert sao.view() == "form"
    sao.wait_for_value("state", "Connected")
    assert not sao.has_field("password") and not sao.has_field("autoauth_secret")
    assert not sao.has_button(CONNECT)
    for label in (RECONNECT, REFRESH):
        assert not sao.button(label).is_enabled(), f"{label!r} is enabled for the plain user"
    sao.screenshot("user-connection-read-only")

    # Behind the buttons, the server refuses too.
    session = product.session("user")
    with pytest.raises(RpcError) as refused:
        session.call("model.kashflow.connection.refresh", [connected["id"]])
    assert "is not allowed" in str(refused.value.error), refused.value.error
    with pytest.raises(RpcError) as refused:
        session.call("wizard.kashflow.connection.connect.create")
    assert "You are not allowed to execute wizard" in str(refused.value.error), \
        refused.value.error
