"""POST, PUT and DELETE /sessiontoken: logging in and out, and the session of every call."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from ..models import Account
from . import backend, blueprint, sessions
from .errors import RestError, invalid, json_body
from .sessions import bad_token

NOT_ENABLED = ("API access is not enabled for this account: turn it on in KashFlow, "
               "Settings, API Settings.")


def bad_login() -> RestError:
    return RestError(400, "InvalidCredentials", "Invalid username or password.")


def bad_letters() -> RestError:
    return RestError(400, "InvalidMemorableWord",
                     "The characters of your memorable word are not correct.")


def current_account() -> Account:
    """The account of the call's session token (Authorization: KfToken <token>)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "kftoken" or not token.strip():
        raise bad_token()
    accounts = backend().accounts

    def idle_minutes(username: str) -> int | None:
        account = accounts.get(username)
        return account.settings.session_idle_minutes if account else None

    account = accounts.get(sessions().user_of(token, idle_minutes))
    if account is None:
        raise bad_token()
    check_enabled(account)
    return account


def check_enabled(account: Account) -> None:
    if not account.settings.rest_api_enabled:
        raise RestError(403, "ApiAccessDisabled", NOT_ENABLED)
    if account.settings.locked:
        raise RestError(401, "AccountLocked",
                        "User account is locked, please contact administrator.")


@blueprint.post("/sessiontoken")
def start_login() -> tuple[Response, int]:
    data = json_body()
    username, password = data.get("UserName"), data.get("Password")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise invalid("UserName and Password are required.")
    with backend().lock:
        account = backend().accounts.get(username)
        if account is not None and not account.settings.rest_api_enabled:
            raise RestError(403, "ApiAccessDisabled", NOT_ENABLED)
        started = sessions().start(account, username, password)
        if started is None:
            if account is not None and account.settings.locked:
                backend().commit(account)  # this bad login locked it
            raise bad_login()
    token, pending = started
    return jsonify({
        "TemporaryToken": token,
        "MemorableWordList": [{"Position": p, "Value": ""} for p in pending.positions],
        "MemorableWordPositions": ",".join(str(p) for p in pending.positions),
        "KeepUserLoggedIn": False, "IsLockedOut": False, "Disabled": False,
        "HasTemporaryPassword": False, "SubscriptionExpired": False,
        "CompanyUserFullName": account.company.get("CompanyName", "") if account else "",
        "EmailId": account.username if account else "",
    }), 201


@blueprint.put("/sessiontoken")
def finish_login() -> Response:
    data = json_body()
    token, letters = data.get("TemporaryToken"), data.get("MemorableWordList")
    if not isinstance(token, str) or not isinstance(letters, list):
        raise invalid("TemporaryToken and MemorableWordList are required.")
    given = read_letters(letters)
    pending = sessions().take_pending(token)
    if pending is None:
        raise RestError(400, "InvalidTemporaryToken",
                        "The temporary token is not valid or has expired: log in again.")
    with backend().lock:
        account = backend().accounts.get(pending.username)
        if account is None:
            raise bad_login()
        check_enabled(account)
        session_token = sessions().finish(account, pending, given)
        if session_token is None:
            if account.settings.locked:
                backend().commit(account)
            raise bad_letters()
    return jsonify(session_answer(account, session_token))


def read_letters(letters: list[Any]) -> dict[int, str]:
    given: dict[int, str] = {}
    for item in letters:
        if (not isinstance(item, dict) or not isinstance(item.get("Position"), int)
                or not isinstance(item.get("Value", ""), str)):
            raise invalid("Each entry of MemorableWordList is {Position, Value}.")
        given[item["Position"]] = item.get("Value", "")
    return given


def session_answer(account: Account, token: str) -> dict[str, Any]:
    return {
        "SessionToken": token, "StartPageUrl": "/dashboard",
        "SubscriptionExpiryDate": "2099-12-31 00:00:00",
        "CompanyName": account.company.get("CompanyName", ""), "IsAdmin": True,
        "SubscriptionExpired": False, "HasTemporaryPassword": False, "IsLockedOut": False,
    }


@blueprint.delete("/sessiontoken/<token>")
def log_out(token: str) -> Response:
    if not sessions().close(token):
        raise bad_token()
    return jsonify({})


@blueprint.get("/sessiontoken")
def external_login() -> Response:
    """The swap of an external token (made by the control API) for a session."""
    token, uid = request.args.get("externalToken", ""), request.args.get("uid", "")
    username = sessions().take_external(token, int(uid)) if uid.isdigit() else None
    with backend().lock:
        account = backend().accounts.get(username or "")
    if account is None:
        raise RestError(400, "InvalidExternalToken", "The external token is not valid.")
    check_enabled(account)
    return jsonify(session_answer(account, sessions().open(account)))
