"""The mock authenticates as KashFlow: every call, the API switch, passwords, IPs, AutoAuth."""

import pytest
from rawsoap import call, new_account


@pytest.fixture
def account(mock_server):
    return new_account(mock_server.url, open_ips=False)


def test_a_new_account_refuses_every_address_until_autoauth(account):
    reply = account.call("GetSuppliers")
    assert reply.http_status == 200
    assert reply.status == ("NO", "The IP address of 127.0.0.1 is not in the access list")


def test_autoauth_adds_the_callers_address_with_the_app_name(account):
    reply = account.call("AutoAuthIP", f"<appName>Dext ERP</appName>"
                                       f"<AutoAuthKey>{account.autoauth_key}</AutoAuthKey>")
    assert reply.ok and reply.value("AutoAuthIPResult") == "1"
    assert account.state()["access_list"] == [{"ip": "127.0.0.1", "comment": "Dext ERP"}]
    assert account.call("GetSuppliers").ok
    # Calling again does not add the address twice.
    account.call("AutoAuthIP", f"<appName>Dext ERP</appName>"
                               f"<AutoAuthKey>{account.autoauth_key.lower()}</AutoAuthKey>")
    assert len(account.state()["access_list"]) == 1


def test_autoauth_key_has_kashflows_format(account):
    assert len(account.autoauth_key) == 13 and account.autoauth_key[8] == "-"
    int(account.autoauth_key.replace("-", ""), 16)


@pytest.mark.parametrize("change,key,detail", [
    ({}, "0000AAAA-0000", "The AutoAuth key is incorrect"),
    ({"autoauth_enabled": False}, None, "AutoAuth is not enabled for this account"),
])
def test_autoauth_refusals(account, change, key, detail):
    account.settings(**change)
    reply = account.call("AutoAuthIP", f"<appName>x</appName>"
                                       f"<AutoAuthKey>{key or account.autoauth_key}</AutoAuthKey>")
    assert reply.status == ("NO", detail)
    assert account.state()["access_list"] == []


def test_autoauth_needs_the_right_password(account):
    reply = call(account.url, "AutoAuthIP", account.username, "wrong",
                 f"<appName>x</appName><AutoAuthKey>{account.autoauth_key}</AutoAuthKey>")
    assert reply.status == ("NO", "Incorrect username or password")


def test_wrong_password_and_unknown_user(account):
    for username, password in ((account.username, "nope"), ("nobody", account.password),
                               ("", "")):
        reply = call(account.url, "GetNominalCodes", username, password)
        assert reply.status == ("NO", "Incorrect username or password")
        assert reply.find("GetNominalCodesResult") is None


def test_soap_api_switched_off_refuses(account):
    account.settings(soap_api_enabled=False, restrict_ips=False)
    status, detail = account.call("GetVATRates").status
    assert status == "NO" and "not enabled" in detail


def test_separate_api_password_replaces_the_login_password(account):
    account.settings(restrict_ips=False, password_mode="separate", api_password="api-only-pw")
    assert account.call("GetVATRates").status == ("NO", "Incorrect username or password")
    assert call(account.url, "GetVATRates", account.username, "api-only-pw").ok
    account.settings(password_mode="login")
    assert account.call("GetVATRates").ok


def test_access_list_lets_listed_addresses_in(account):
    account.settings(access_list=[{"ip": "10.9.9.9", "comment": "office"}])
    assert not account.call("GetVATRates").ok
    account.settings(access_list=[{"ip": "127.0.0.1", "comment": "this machine"}])
    assert account.call("GetVATRates").ok


def test_a_body_in_another_namespace_reads_as_no_credentials(account):
    # A known gotcha: the wrong namespace gives empty parameters, so login fails.
    body = (f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f'<GetVATRates xmlns="http://wrong/"><UserName>{account.username}</UserName>'
            f"<Password>{account.password}</Password></GetVATRates></soap:Body></soap:Envelope>")
    from rawsoap import post
    assert post(account.url, body, "GetVATRates").status == (
        "NO", "Incorrect username or password")
