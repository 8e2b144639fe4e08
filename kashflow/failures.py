"""What a failed call means: retry it, stop, or (for a write) check before resending.

A write may be retried only if KashFlow surely did not process it: the
connection was never made, or the server said 429 before doing anything.
Once the request may have arrived (a read timeout, a dropped connection,
HTTP 5xx, a server fault) a write becomes an UnclearOutcomeError.
"""

from __future__ import annotations

from collections.abc import Iterator

import requests
import urllib3.exceptions
import zeep.exceptions

from .errors import (
    ConfigurationError,
    KashFlowError,
    RateLimitedError,
    TransientError,
    UnclearOutcomeError,
    UnexpectedResponseError,
    ValidationError,
)
from .transport import ResponseTooLarge, UnexpectedHTTPStatus

# Errors this module knows how to translate; anything else is a bug and propagates.
WIRE_ERRORS = (requests.RequestException, zeep.exceptions.Error, ResponseTooLarge,
               UnexpectedHTTPStatus)
BAD_URL = (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
           requests.exceptions.InvalidURL)
UNCLEAR_HINT = ("so KashFlow may or may not have applied it. Look it up in KashFlow before "
                "sending it again.")


def causes(error: BaseException) -> Iterator[BaseException]:
    """error and what it wraps: requests and urllib3 nest the real cause in args/reason."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        inner = current.__cause__ or current.__context__ or getattr(current, "reason", None)
        if inner is None and current.args and isinstance(current.args[0], BaseException):
            inner = current.args[0]
        current = inner if isinstance(inner, BaseException) else None


def never_connected(error: BaseException) -> bool:
    """True when no byte of the request can have reached the server."""
    # urllib3's NewConnectionError (refused, DNS failure) is a ConnectTimeoutError.
    return any(isinstance(e, requests.ConnectTimeout | urllib3.exceptions.ConnectTimeoutError)
               for e in causes(error))


def translate(error: BaseException, operation: str, url: str, write: bool) -> KashFlowError:
    """The client's error for an exception raised while calling operation: one of
    WIRE_ERRORS, or any exception zeep raised while reading an answer."""

    def maybe_applied(what: str, retry_after: float | None = None) -> KashFlowError:
        if write:
            return UnclearOutcomeError(f"{what} after {operation} was sent, {UNCLEAR_HINT}",
                                       operation=operation)
        return TransientError(f"{what} during {operation}. Try again later.",
                              operation=operation, retry_after=retry_after)

    if isinstance(error, UnexpectedHTTPStatus):
        status = error.status_code
        if status == 429:
            wait = f" in {error.retry_after:g} seconds" if error.retry_after is not None else ""
            return RateLimitedError(
                f"KashFlow asked us to slow down (HTTP 429) on {operation}; try again{wait}.",
                operation=operation, retry_after=error.retry_after)
        if status >= 500 or status == 408:
            return maybe_applied(f"KashFlow answered {error}", error.retry_after)
        return UnexpectedResponseError(
            f"The server at {url} answered {operation} with {error}, not a KashFlow SOAP "
            "response. Check the KashFlow URL.", operation=operation)

    if isinstance(error, BAD_URL):
        return ConfigurationError(
            f"The KashFlow URL {url!r} is not a web address it can be reached at "
            f"({short(error)}). It should look like https://securedwebapp.com/api/service.asmx.",
            operation=operation)

    if isinstance(error, requests.RequestException):
        if never_connected(error):
            return TransientError(f"Could not connect to KashFlow at {url} ({short(error)}). "
                                  "Try again later.", operation=operation)
        if isinstance(error, requests.Timeout) or any(
                isinstance(e, urllib3.exceptions.ReadTimeoutError) for e in causes(error)):
            return maybe_applied("KashFlow did not answer in time")
        return maybe_applied(f"The connection to KashFlow was lost ({short(error)})")

    if isinstance(error, zeep.exceptions.ValidationError):
        # Raised while building the envelope, so nothing was sent.
        return ValidationError(f"The {operation} request could not be built: {error}.",
                               operation=operation)

    if isinstance(error, zeep.exceptions.Fault):
        fault = (error.message or "").strip()
        if is_client_fault(error.code):
            # The service could not read the request: nothing was applied, and
            # sending the same request again would fail the same way.
            return ValidationError(f'KashFlow could not read the {operation} request: '
                                   f'"{fault.rstrip(".")}".', operation=operation,
                                   status_detail=fault)
        failure = maybe_applied(f'KashFlow failed with a server error ("{fault.rstrip(".")}")')
        failure.status_detail = fault
        return failure

    if isinstance(error, ResponseTooLarge) and write:
        return UnclearOutcomeError(f"KashFlow's answer to {operation} was refused because "
                                   f"{error}, {UNCLEAR_HINT}", operation=operation)
    if isinstance(error, ResponseTooLarge):
        return UnexpectedResponseError(f"KashFlow's answer to {operation} was refused because "
                                       f"{error}.", operation=operation)

    # Anything else went wrong reading the answer: it is not one KashFlow gives.
    if write:
        return UnclearOutcomeError(f"KashFlow's answer to {operation} could not be read "
                                   f"({short(error)}), {UNCLEAR_HINT}", operation=operation)
    return UnexpectedResponseError(f"KashFlow's answer to {operation} could not be read "
                                   f"({short(error)}).", operation=operation)


def is_client_fault(code: str | None) -> bool:
    """SOAP 1.1 says Client, SOAP 1.2 Sender, for a request the server cannot use."""
    local = (code or "").rpartition(":")[2]
    return local in ("Client", "Sender")


def short(error: BaseException) -> str:
    """The innermost readable reason, e.g. "Connection refused", for messages."""
    innermost = list(causes(error))[-1]
    text = str(innermost).strip() or type(innermost).__name__
    if isinstance(innermost, OSError) and innermost.strerror:
        text = innermost.strerror
    return text[:200]


def no_status(operation: str, status: str | None, write: bool) -> KashFlowError:
    """An answer whose Status is neither OK nor NO: we cannot tell what happened."""
    what = f"KashFlow answered {operation} with the status {status!r} instead of OK or NO"
    if write:
        return UnclearOutcomeError(f"{what}, {UNCLEAR_HINT}", operation=operation)
    return UnexpectedResponseError(f"{what}.", operation=operation)
