"""What a failed call means: retry it, stop, or (for a write) check before resending.

A write may be retried only if KashFlow surely did not process it: nothing of it was
sent (the connection was never made; see kashflow.deadline), or the server said 429
before doing anything. Once the request may have arrived (a timeout, a dropped
connection, HTTP 5xx, a server fault) a write becomes an UnclearOutcomeError.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
import zeep.exceptions
from urllib3.util.ssl_match_hostname import CertificateError as HostnameMismatch

from .errors import (
    CertificateError,
    ConfigurationError,
    HostNotFoundError,
    KashFlowError,
    RateLimitedError,
    RedirectError,
    TransientError,
    UnclearOutcomeError,
    UnexpectedResponseError,
    UnreachableError,
    ValidationError,
)
from .transport import (
    DeadlineExceeded,
    Redirected,
    ResponseTooLarge,
    UnexpectedHTTPStatus,
    shown,
)

# Errors this module knows how to translate; anything else is a bug and propagates.
WIRE_ERRORS = (requests.RequestException, zeep.exceptions.Error, ResponseTooLarge,
               UnexpectedHTTPStatus, Redirected, DeadlineExceeded)
BAD_URL = (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
           requests.exceptions.InvalidURL)
UNCLEAR_HINT = ("so KashFlow may or may not have applied it. Look it up in KashFlow before "
                "sending it again.")
NOTHING_SENT = "nothing was sent"


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


def cause(error: BaseException, kind: type[BaseException] | tuple[type[BaseException], ...]
          ) -> BaseException | None:
    return next((e for e in causes(error) if isinstance(e, kind)), None)


def never_connected(error: BaseException) -> bool:
    """True when no byte of the request can have reached the server."""
    # urllib3's NewConnectionError (refused, DNS failure) is a ConnectTimeoutError.
    return cause(error, (requests.ConnectTimeout,
                         urllib3.exceptions.ConnectTimeoutError)) is not None


def translate(error: BaseException, operation: str, url: str, write: bool,
              nothing_sent: bool = False) -> KashFlowError:
    """The client's error for an exception raised while calling operation: one of
    WIRE_ERRORS, or any exception zeep raised while reading an answer. nothing_sent: the
    transport knows that no byte of the request left."""
    where = shown(url)

    def maybe_applied(what: str, retry_after: float | None = None,
                      timed_out: bool = False) -> KashFlowError:
        if write:
            return UnclearOutcomeError(f"{what} after {operation} was sent, {UNCLEAR_HINT}",
                                       operation=operation, timed_out=timed_out)
        return TransientError(f"{what} during {operation}. Try again later.",
                              operation=operation, retry_after=retry_after,
                              timed_out=timed_out)

    def unreachable(reason: str, timed_out: bool = False) -> KashFlowError:
        return UnreachableError(f"Could not connect to KashFlow at {where} ({reason}); "
                                f"{NOTHING_SENT}. Try again later.", operation=operation,
                                timed_out=timed_out)

    if isinstance(error, DeadlineExceeded):
        if error.nothing_sent:
            return unreachable(f"no connection within {seconds(error.seconds)}",
                               timed_out=True)
        return maybe_applied("KashFlow did not answer in time", timed_out=True)

    if isinstance(error, Redirected):
        target = redirect_target(error.location)
        return RedirectError(
            f"The server at {where} answered {operation} with a redirect (HTTP "
            f"{error.status_code}) to {target or 'no address'}. The client follows no "
            "redirect, so the request went no further and nothing was applied by that "
            "answer. Check the KashFlow URL.", operation=operation, target=target,
            status_code=error.status_code)

    if isinstance(error, UnexpectedHTTPStatus):
        status = error.status_code
        if status == 429:
            wait = (f" in {seconds(error.retry_after)}" if error.retry_after is not None
                    else "")
            return RateLimitedError(
                f"KashFlow asked us to slow down (HTTP 429) on {operation}; try again{wait}.",
                operation=operation, retry_after=error.retry_after)
        if status >= 500 or status == 408:
            return maybe_applied(f"KashFlow answered {error}", error.retry_after)
        return UnexpectedResponseError(
            f"The server at {where} answered {operation} with {error}, not a KashFlow SOAP "
            "response. Check the KashFlow URL.", operation=operation)

    if isinstance(error, BAD_URL):
        return ConfigurationError(
            f"The KashFlow URL {where!r} is not a web address it can be reached at "
            f"({short(error).replace(url, where)}). It should look like https://securedwebapp.com/api/service.asmx.",
            operation=operation)

    if isinstance(error, requests.RequestException):
        host = urlsplit(url).hostname or ""
        if cause(error, (ssl.SSLCertVerificationError, HostnameMismatch)):
            return CertificateError(
                f"The TLS certificate of {host} was not accepted ({short(error)}), so no "
                f"connection was made and {NOTHING_SENT}. Check the KashFlow URL, or the "
                "server's certificate.", operation=operation, host=host)
        lookup = cause(error, socket.gaierror)
        if isinstance(lookup, socket.gaierror) and lookup.errno != socket.EAI_AGAIN:
            return HostNotFoundError(
                f"The host name {host} in the KashFlow URL could not be found "
                f"({short(error)}), so {NOTHING_SENT}. Check the KashFlow URL.",
                operation=operation, host=host)
        if nothing_sent or never_connected(error):
            timed_out = isinstance(error, requests.Timeout) or bool(cause(error, TimeoutError))
            return unreachable(short(error), timed_out=timed_out)
        if isinstance(error, requests.Timeout) or cause(
                error, urllib3.exceptions.ReadTimeoutError):
            return maybe_applied("KashFlow did not answer in time", timed_out=True)
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


def seconds(value: float) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")


def redirect_target(location: str) -> str:
    """Where a redirect points, to be named: host:port for a web address, else the
    address without its query and fragment."""
    parts = urlsplit(location)
    if parts.scheme.lower() in ("http", "https"):
        host = parts.hostname or ""
        return f"{host}:{parts.port}" if parts.port else host
    return shown(parts._replace(query="", fragment="").geturl())


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
