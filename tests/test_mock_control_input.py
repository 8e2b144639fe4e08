"""The control API (/_mock/) answers every bad request with a 4xx and a JSON {"error": ...}
that says what is wrong, changes nothing, and takes a boolean only as a JSON boolean."""

import pytest
import requests
from rawsoap import new_account

from mock_kashflow import create_app


@pytest.fixture
def account(mock_server):
    return new_account(mock_server.url)


def send(method: str, url: str, **kw) -> requests.Response:
    return requests.request(method, url, timeout=10, **kw)


def assert_json_error(response: requests.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json", response.text
    error = response.json()["error"]
    assert isinstance(error, str) and error
    for word in words:
        assert word in error, error


def test_fault_with_wrong_types(mock_server):
    faults = f"{mock_server.url}/_mock/faults"
    for body, words in [
        ({"operation": "GetVATRates", "kind": "delay", "times": "abc"}, "times"),
        ({"operation": "GetVATRates", "kind": "delay", "times": 0}, "times"),
        ({"operation": "GetVATRates", "kind": "delay", "times": True}, "times"),
        ({"operation": "GetVATRates", "kind": "delay", "delay_ms": -5}, "delay_ms"),
        ({"operation": "GetVATRates", "kind": "delay", "delay_ms": 1.5}, "delay_ms"),
        ({"operation": "GetVATRates", "kind": "delay", "delay_ms": 10**12}, "delay_ms"),
        ({"operation": "NoSuchCall", "kind": "http_500"}, "NoSuchCall"),
        ({"operation": ["GetVATRates"], "kind": "http_500"}, "operation"),
        ({"operation": "GetVATRates", "kind": "http_500", "colour": "red"}, "colour"),
        ({"operation": "GetVATRates", "kind": "http_500", "chance": 0}, "chance"),
        ({"operation": "GetVATRates", "kind": "http_500", "chance": 1.5}, "chance"),
        ({"operation": "GetVATRates", "kind": "http_500", "chance": "0.1"}, "chance"),
        ({"operation": "GetVATRates", "kind": "http_500", "chance": True}, "chance"),
    ]:
        assert_json_error(send("POST", faults, json=body), 400, words)
    assert send("GET", faults).json() == []


def test_settings_take_only_their_own_types(account):
    url = f"{account.base_url}/_mock/accounts/{account.username}/settings"
    before = account.state()
    for body, words in [
        ({"soap_api_enabled": "no"}, "soap_api_enabled"),
        ({"restrict_ips": 0}, "restrict_ips"),
        ({"autoauth_enabled": None}, "autoauth_enabled"),
        ({"password": 42}, "password"),
        ({"password": ""}, "password"),
        ({"api_password": ["x"]}, "api_password"),
        ({"password_mode": "sometimes"}, "password_mode"),
        ({"access_list": "10.0.0.1"}, "access_list"),
        ({"access_list": [{"ip": "not an address"}]}, "not an address"),
        ({"access_list": [{"ip": "10.0.0.1", "colour": "red"}]}, "colour"),
        # One bad value refuses the whole change.
        ({"restrict_ips": False, "soap_api_enabled": "no"}, "soap_api_enabled"),
    ]:
        assert_json_error(send("PATCH", url, json=body), 400, words)
    assert account.state() == before
    assert account.call("GetVATRates").ok


def test_records_with_wrong_types(account):
    base = f"{account.base_url}/_mock/accounts/{account.username}"
    supplier = account.state()["suppliers"][0]["SupplierID"]
    before = account.state()
    for method, path, body, words in [
        ("PATCH", f"suppliers/{supplier}", {"Created": "yesterday"}, "Created"),
        ("PATCH", f"suppliers/{supplier}", {"PaymentTerms": "thirty"}, "PaymentTerms"),
        ("PATCH", f"suppliers/{supplier}", {"PaymentTerms": True}, "PaymentTerms"),
        ("PATCH", f"suppliers/{supplier}", {"Colour": "red"}, "Colour"),
        ("PATCH", f"suppliers/{supplier}", ["Name"], "JSON object"),
        ("POST", "suppliers", {"Name": "X", "Created": "2026-13-45"}, "Created"),
        ("POST", "nominal_codes", {"Code": 1, "VATRate": "twenty"}, "VATRate"),
        ("POST", "nominal_codes", {"Code": 1, "VATRate": "NaN"}, "VATRate"),
        ("POST", "nominal_codes", {"Code": 1, "Archived": "no"}, "Archived"),
        ("POST", "receipts", {"CustomerID": supplier, "Lines": [{"Rate": 1}]}, "_type"),
        ("POST", "receipts", {"CustomerID": supplier, "Lines": "none"}, "Lines"),
        ("POST", "payments", {"PayInvoice": 1, "PayAmount": 5}, "kind"),
        ("POST", "suppliers", [{"Name": "Good"}, {"Name": "Bad", "EC": "x"}], "EC"),
    ]:
        assert_json_error(send(method, f"{base}/{path}", json=body), 400, words)
    assert account.state() == before


def test_accounts_with_wrong_types(mock_server):
    url = f"{mock_server.url}/_mock/accounts"
    for body in [{"username": 5, "password": "p"}, {"username": "a/b", "password": "p"},
                 {"username": "x", "password": ["p"]}, {"username": "x", "password": "p",
                                                        "seed": "full"}]:
        assert_json_error(send("POST", url, json=body), 400)
    assert_json_error(send("POST", url, data="not json",
                           headers={"Content-Type": "application/json"}), 400, "JSON")


def test_unknown_routes_and_methods_answer_json(account):
    base = f"{account.base_url}/_mock"
    user = f"{base}/accounts/{account.username}"
    assert_json_error(send("DELETE", f"{user}/settings/1"), 404, "settings")
    assert_json_error(send("PATCH", f"{user}/nonsense/1", json={}), 404, "nonsense")
    assert_json_error(send("POST", f"{user}/settings", json={}), 404, "settings")
    assert_json_error(send("DELETE", f"{user}/settings"), 405)
    assert_json_error(send("GET", f"{base}/nothing"), 404)
    assert_json_error(send("PUT", f"{base}/faults"), 405)
    assert_json_error(send("DELETE", f"{user}/suppliers/-1"), 404)
    assert_json_error(send("DELETE", f"{user}/suppliers/123456789"), 404, "123456789")
    assert_json_error(send("GET", f"{base}/accounts/nobody"), 404, "nobody")


def test_an_unexpected_error_is_a_json_500(monkeypatch):
    app = create_app()

    def broken(*_args):
        raise RuntimeError("a bug in the mock")

    monkeypatch.setattr(app.config["BACKEND"], "reset", broken)
    response = app.test_client().post("/_mock/reset")
    assert response.status_code == 500
    assert response.is_json and "RuntimeError" in response.json["error"]
    assert "Traceback" not in response.text
