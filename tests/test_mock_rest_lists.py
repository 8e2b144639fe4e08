"""The lists an app reads over the mock's REST API: the same records the SOAP API lists, in
KashFlow's REST shapes, paged where KashFlow pages them."""

import requests
from rawrest import log_in
from rawsoap import new_account


def test_the_lists_are_the_soap_sides_records_in_rest_shapes(mock_server):
    account = new_account(mock_server.url)
    state, rest = account.state(), log_in(account)

    nominals = rest.get("/nominals")
    telephone = next(n for n in nominals if n["Code"] == 7502)
    soap_telephone = next(n for n in state["nominal_codes"] if n["Code"] == 7502)
    assert telephone["Id"] == soap_telephone["id"] and telephone["Name"] == "Telephone"

    assert [(r["VATRate"], r["VATText"]) for r in rest.get("/vat/settings/vatrates")] == [
        (20, "20%"), (5, "5%"), (0, "0%")]
    assert {(c["Code"], c["ExchangeRate"]) for c in rest.get("/currencies")} == {
        ("GBP", 1), ("EUR", 1.17), ("USD", 1.27)}
    assert [(b["AccountName"], b["Code"]) for b in rest.get("/bankaccounts")] == [
        ("Current Account", 1200), ("Business Savings", 1210)]
    assert "BACS" in [m["Name"] for m in rest.get("/paymentmethods/purchase")]
    assert rest.call("GET", "/paymentmethods/cheques").status_code == 400
    projects = rest.get("/projects")["Data"]
    assert [(p["Number"], p["Name"]) for p in projects] == [(1, "Office refit"),
                                                           (2, "Website relaunch")]

    cloud = rest.get("/suppliers/CLOUD01")
    assert (cloud["Name"], cloud["Currency"]["Code"]) == ("CloudHost Inc", "USD")
    missing = rest.call("GET", "/suppliers/NOPE01")
    assert missing.status_code == 404 and set(missing.json()) == {"Error", "Message"}
    assert rest.get("/customers/DUPO01")["Currency"]["Code"] == "EUR"


def test_suppliers_are_paged_by_name_and_the_pages_link_to_each_other(mock_server):
    account = new_account(mock_server.url)
    rest = log_in(account)
    first = rest.get("/suppliers", perpage=3)
    assert first["MetaData"]["TotalRecords"] == 7
    assert [s["Name"] for s in first["Data"]] == [
        "BT Business", "CloudHost Inc", "Greenway Property Lettings"]
    assert first["MetaData"]["PreviousPageUrl"] is None

    names, url = [], first["MetaData"]["FirstPageUrl"]
    while url:  # as clients do: follow NextPageUrl until it is null
        page = rest.follow(url)
        names += [s["Name"] for s in page["Data"]]
        url = page["MetaData"]["NextPageUrl"]
    assert len(names) == 7 and names == sorted(names, key=str.lower)
    assert rest.get("/suppliers", namestartswith="b")["MetaData"]["TotalRecords"] == 1
    assert rest.call("GET", "/suppliers", page="0").status_code == 400


def test_faults_and_call_counts_cover_rest_calls(mock_server):
    account = new_account(mock_server.url)
    requests.delete(f"{mock_server.url}/_mock/calls", timeout=10).raise_for_status()
    rest = log_in(account)
    faults = f"{mock_server.url}/_mock/faults"
    requests.post(faults, timeout=10, json={"operation": "GET /currencies",
                                            "kind": "error_before"}).raise_for_status()
    requests.post(faults, timeout=10, json={"operation": "GET /suppliers/<code>",
                                            "kind": "rate_limit"}).raise_for_status()
    timed_out = rest.call("GET", "/currencies")
    assert timed_out.status_code == 400 and timed_out.json()["Error"] == "-2146232060"
    assert rest.call("GET", "/suppliers/BT01").status_code == 429
    assert rest.get("/currencies") and rest.get("/suppliers/BT01")
    calls = requests.get(f"{mock_server.url}/_mock/calls", timeout=10).json()
    assert calls["GET /currencies"] == 2 and calls["POST /sessiontoken"] == 1
