"""Logging in to the mock's REST API as to KashFlow's: the password, then three letters of the
memorable word; the session token on every call; its end, by logout or idleness; lock-out."""

import re

import requests
from rawrest import Rest, finish, letters, log_in, start
from rawsoap import new_account

from mock_kashflow.app import create_app

GUID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")


def test_two_steps_give_a_session_token_that_every_call_carries(mock_server):
    account = new_account(mock_server.url)
    first = start(mock_server.url, account.username, account.password)
    assert first.status_code == 201
    asked = first.json()["MemorableWordList"]
    positions = [p["Position"] for p in asked]
    assert len(positions) == 3 and positions == sorted(set(positions))
    assert all(1 <= p <= len("pineapple") for p in positions)
    assert all(item["Value"] == "" for item in asked)
    assert GUID.fullmatch(first.json()["TemporaryToken"])

    # Letters are taken in any case.
    given = [{**item, "Value": item["Value"].upper()} for item in letters("pineapple", asked)]
    second = finish(mock_server.url, first.json()["TemporaryToken"], given)
    assert second.status_code == 200, second.text
    token = second.json()["SessionToken"]
    assert GUID.fullmatch(token) and second.json()["CompanyName"] == "Demo Trading Ltd"

    assert Rest(mock_server.url, token).call("GET", "/currencies").status_code == 200
    for header in ({}, {"Authorization": "KfToken"}, {"Authorization": f"Bearer {token}"},
                   {"Authorization": "KfToken 00000000-0000-0000-0000-000000000000"}):
        refused = requests.get(f"{mock_server.url}/v2/currencies", headers=header, timeout=10)
        assert refused.status_code == 401
        assert refused.json() == {"Error": "InvalidSessionToken",
                                  "Message": "Session token provided is invalid."}


def test_a_wrong_password_or_wrong_letters_are_refused_in_kashflows_words(mock_server):
    account = new_account(mock_server.url)
    wrong = start(mock_server.url, account.username, "not-the-password")
    assert wrong.status_code == 400 and wrong.json()["Error"] == "InvalidCredentials"
    nobody = start(mock_server.url, "nobody@example.com", "x")
    assert nobody.status_code == 400 and nobody.json() == wrong.json()

    first = start(mock_server.url, account.username, account.password).json()
    bad = finish(mock_server.url, first["TemporaryToken"], letters("zzzzzzzzz",
                                                                    first["MemorableWordList"]))
    assert bad.status_code == 400 and bad.json()["Error"] == "InvalidMemorableWord"
    # A temporary token serves one attempt.
    again = finish(mock_server.url, first["TemporaryToken"], letters("pineapple",
                                                                     first["MemorableWordList"]))
    assert again.status_code == 400 and again.json()["Error"] == "InvalidTemporaryToken"
    # The memorable word is an account setting.
    account.settings(memorable_word="pineapple")
    log_in(account, "pineapple")


def test_five_bad_logins_in_a_row_lock_the_user_out_until_unlocked(mock_server):
    account = new_account(mock_server.url)
    session = log_in(account)
    for _ in range(5):
        assert start(mock_server.url, account.username, "wrong").status_code == 400
    locked = start(mock_server.url, account.username, account.password)
    assert locked.status_code == 401
    assert locked.json() == {"Error": "AccountLocked",
                             "Message": "User account is locked, please contact administrator."}
    assert session.call("GET", "/currencies").json()["Error"] == "AccountLocked"
    assert account.state()["settings"]["locked"] is True

    account.settings(locked=False)
    log_in(account)


def test_a_session_ends_by_logout_or_when_idle(mock_server):
    account = new_account(mock_server.url)
    session = log_in(account)
    assert session.call("DELETE", f"/sessiontoken/{session.token}").json() == {}
    assert session.call("GET", "/currencies").status_code == 401

    # The control API ends an account's sessions, as idleness does.
    session, other = log_in(account), log_in(account)
    ended = requests.delete(f"{mock_server.url}/_mock/accounts/{account.username}/sessions",
                            timeout=10)
    assert ended.json() == {"ended": 2}
    assert session.call("GET", "/currencies").status_code == 401
    assert other.call("GET", "/currencies").status_code == 401

    # With the account's idle limit at 0 minutes, a session ends as soon as it is made.
    account.settings(session_idle_minutes=0)
    assert log_in(account).call("GET", "/currencies").status_code == 401


def test_an_external_token_is_swapped_once_for_a_session(mock_server):
    account = new_account(mock_server.url)
    made = requests.post(
        f"{mock_server.url}/_mock/accounts/{account.username}/external_tokens", timeout=10)
    external = made.json()
    swapped = requests.get(f"{mock_server.url}/v2/sessiontoken", timeout=10, params={
        "externalToken": external["externalToken"], "uid": external["uid"]})
    assert swapped.status_code == 200
    assert Rest(mock_server.url, swapped.json()["SessionToken"]).get("/currencies")
    twice = requests.get(f"{mock_server.url}/v2/sessiontoken", timeout=10, params={
        "externalToken": external["externalToken"], "uid": external["uid"]})
    assert twice.status_code == 400 and twice.json()["Error"] == "InvalidExternalToken"


def test_rest_switched_off_in_the_account_is_refused(mock_server):
    account = new_account(mock_server.url)
    session = log_in(account)
    account.settings(rest_api_enabled=False)
    refused = start(mock_server.url, account.username, account.password)
    assert refused.status_code == 403 and refused.json()["Error"] == "ApiAccessDisabled"
    assert session.call("GET", "/currencies").status_code == 403


def test_bad_requests_are_answered_in_json_never_with_a_500(mock_server):
    url = f"{mock_server.url}/v2/sessiontoken"
    for body in (b"{not json", b"[1, 2]", b'{"UserName": 5}', b""):
        answer = requests.post(url, data=body, timeout=10,
                               headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and set(answer.json()) == {"Error", "Message"}
    unknown = requests.get(f"{mock_server.url}/v2/no-such-thing", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["Error"] == "NotFound"
    wrong_method = requests.patch(url, timeout=10)
    assert wrong_method.status_code == 405 and "Message" in wrong_method.json()


def test_a_body_over_the_limit_is_a_413_in_json():
    app = create_app(max_request_bytes=1000)
    answer = app.test_client().post("/v2/sessiontoken", data=b"{" + b" " * 2000 + b"}",
                                    content_type="application/json")
    assert answer.status_code == 413
    assert answer.get_json() == {"Error": "RequestTooLarge",
                                 "Message": "Maximum request length exceeded."}
    deep = app.test_client().post("/v2/sessiontoken", data=b"[" * 400 + b"]" * 400,
                                  content_type="application/json")
    assert deep.status_code == 400
