"""What a REST answer other than 2xx means, as the client's typed errors.

KashFlow's REST API answers a failure with an HTTP status and {"Error": ..., "Message": ...}.
The errors are the SOAP client's own (kashflow.errors), so that a caller handles both APIs
alike; what is a write's unclear outcome follows the same rule as on SOAP (kashflow.failures):
once a write may have arrived, only a clear refusal says it was not applied.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from .errors import (
    AccessDeniedError,
    ApiDisabledError,
    AuthenticationError,
    ConfigurationError,
    KashFlowError,
    NotFoundError,
    RateLimitedError,
    RedirectError,
    TransientError,
    UnclearOutcomeError,
    UnexpectedResponseError,
    ValidationError,
)
from .failures import UNCLEAR_HINT, redirect_target
from .transport import parse_retry_after, shown

# KashFlow's database timing out: a .NET SqlException number, answered with a 400.
SQL_TIMEOUT = "-2146232060"


class MemorableWordError(AuthenticationError):
    """KashFlow did not accept the letters of the memorable word."""


class RestApiDisabledError(ApiDisabledError):
    """The account's REST API is switched off (its API Settings)."""


class SessionExpiredError(AuthenticationError):
    """KashFlow no longer takes the session token (idle too long, or logged out)."""


class AccountLockedError(AuthenticationError):
    """Too many bad logins: KashFlow locked the user until an administrator unlocks it."""


def error_body(response: requests.Response) -> tuple[str, str]:
    """KashFlow's (Error, Message), or ("", "") when the answer is not that shape."""
    try:
        body: Any = json.loads(response.content or b"null")
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("Error") or ""), str(body.get("Message") or "").strip()


def from_response(response: requests.Response, operation: str, url: str,
                  write: bool) -> KashFlowError:
    """The error for an answer that is not a success."""
    status = response.status_code
    error, message = error_body(response)
    said = f'"{message.rstrip(".")}"' if message else "no reason given"

    if 300 <= status < 400:
        location = response.headers.get("Location", "").strip()
        target = redirect_target(location) if location else ""
        return RedirectError(
            f"The server at {shown(url)} answered {operation} with a redirect (HTTP {status}) "
            f"to {target or 'no address'}. The client follows no redirect, so the request "
            "went no further. Check the KashFlow REST URL.", operation=operation,
            target=target, status_code=status)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimitedError(f"KashFlow asked us to slow down on {operation}; try again "
                                "later.", operation=operation, retry_after=retry_after)
    if status >= 500 or status == 408 or error == SQL_TIMEOUT:
        what = (f"KashFlow's database did not answer in time ({said})" if error == SQL_TIMEOUT
                else f"KashFlow failed with a server error (HTTP {status})")
        if write:
            return UnclearOutcomeError(f"{what} after {operation} was sent, {UNCLEAR_HINT}",
                                       operation=operation)
        return TransientError(f"{what} during {operation}. Try again later.",
                              operation=operation)
    if not error:
        return UnexpectedResponseError(
            f"The server at {shown(url)} answered {operation} with HTTP {status}, not a "
            "KashFlow REST answer. Check the KashFlow REST URL.", operation=operation)
    kind, hint = KINDS.get(error, (None, ""))
    if kind is None:
        kind = NotFoundError if status == 404 else ValidationError
        hint = ("KashFlow could not find what {operation} asked for ({said})."
                if status == 404 else "KashFlow refused {operation}: {said}.")
    return kind(hint.format(operation=operation, said=said), operation=operation,
                status_detail=message)


def not_served(url: str, operation: str) -> ConfigurationError:
    """The address answers, but not as KashFlow's REST API (a 404 on the login)."""
    return ConfigurationError(
        f"The server at {shown(url)} does not offer KashFlow's REST API (it has no login "
        f"for {operation}). Check the KashFlow REST URL, or connect with SOAP.",
        operation=operation)


KINDS: dict[str, tuple[type[KashFlowError], str]] = {
    "InvalidCredentials": (AuthenticationError, "KashFlow did not accept the username or "
                           "password ({said}). Check both."),
    "InvalidMemorableWord": (MemorableWordError, "KashFlow did not accept the letters of the "
                             "memorable word ({said}). Check the memorable word."),
    "InvalidTemporaryToken": (AuthenticationError, "KashFlow's login took too long or was "
                              "interrupted ({said}). Try again."),
    "AccountLocked": (AccountLockedError, "KashFlow has locked this user after too many bad "
                      "logins ({said}). An administrator of the KashFlow account must unlock "
                      "it."),
    "InvalidSessionToken": (SessionExpiredError, "KashFlow no longer accepts this session "
                            "({said}), even after logging in again."),
    "ApiAccessDisabled": (RestApiDisabledError, "The REST API is switched off for this KashFlow "
                          "account ({said}). Turn it on in KashFlow's API Settings."),
    "Forbidden": (AccessDeniedError, "KashFlow denied access ({said})."),
}
