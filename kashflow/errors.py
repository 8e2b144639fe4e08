"""What can go wrong when talking to KashFlow, as exceptions a caller can act on.

KashFlowError
├── AuthenticationError        wrong username or password
├── AccessDeniedError          the account's API Settings keep us out
│   ├── IPNotAllowedError      our address is not in the access list
│   ├── ApiDisabledError       the SOAP API is switched off
│   └── AutoAuthError          AutoAuth is off or the key is wrong
├── NotFoundError              the record asked for does not exist
├── ValidationError            KashFlow refused the request as it is
├── UnexpectedResponseError    the answer was not one KashFlow's API gives
├── ConfigurationError         the client cannot work as set up, e.g. a bad URL
│   ├── RedirectError          the server answered with a redirect; never followed
│   ├── CertificateError       the server's TLS certificate was refused; nothing sent
│   └── HostNotFoundError      the URL's host name does not exist; nothing sent
└── TransientError             worth trying again later; timed_out when the deadline passed
    ├── RateLimitedError       HTTP 429; retry_after says when
    ├── UnreachableError       no connection could be made; nothing sent
    └── UnclearOutcomeError    a write may or may not have been applied

Business refusals come back as Status NO with a StatusDetail sentence;
error_from_status() picks the class from that sentence and keeps it, and an error's
`subject` says what the sentence is about (a nominal code, a VAT rate...), so that a
caller never reads KashFlow's words itself.

str(error) is one technical sentence for the log: it may name KashFlow's operations and
HTTP statuses, never a password, key or the user part of a URL. A caller that speaks to
people picks its own words from the error's class and attributes, as documented on each.
"""

from __future__ import annotations

import re
from typing import Any


class KashFlowError(Exception):
    """Base of every error the client raises; str() is a sentence for a person."""

    def __init__(self, message: str, *, operation: str = "", status_detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation  # KashFlow's operation name, e.g. "InsertReceipt"
        self.status_detail = status_detail  # KashFlow's own words, when it gave any

    def __str__(self) -> str:
        return self.message

    @property
    def subject(self) -> str:
        """What KashFlow's refusal is about, from its StatusDetail (or, without one, the
        message): one of SUBJECTS' names, or "" when it names none of them."""
        return refusal_subject(self.status_detail or self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments do not survive Exception's default pickling,
        # and queued jobs may pickle the error they failed with.
        return (type(self), (self.message,), self.__dict__)


class AuthenticationError(KashFlowError):
    pass


class AccessDeniedError(KashFlowError):
    pass


class IPNotAllowedError(AccessDeniedError):
    pass


class ApiDisabledError(AccessDeniedError):
    pass


class AutoAuthError(AccessDeniedError):
    pass


class NotFoundError(KashFlowError):
    pass


class ValidationError(KashFlowError):
    pass


class UnexpectedResponseError(KashFlowError):
    pass


class ConfigurationError(KashFlowError):
    """The client cannot work as it is set up (the URL, or the server found there), and
    trying again will not change that. Never retried. Nothing was applied: the request was
    not sent, or (RedirectError) was answered by something that applies nothing."""


class RedirectError(ConfigurationError):
    """The server answered with a redirect (HTTP 3xx). The client follows none, so the
    request went nowhere else and nothing was applied. Usually the URL is an old or wrong
    address. `target` is where the redirect pointed: "host:port" for a web address,
    otherwise the address itself (e.g. "file:///etc/hostname"); "" when it gave none.
    `status_code` is the HTTP status."""

    def __init__(self, message: str, *, operation: str = "", target: str = "",
                 status_code: int = 0) -> None:
        super().__init__(message, operation=operation)
        self.target = target
        self.status_code = status_code


class CertificateError(ConfigurationError):
    """The server's TLS certificate was not accepted (not trusted, expired, or for another
    name), so the connection was not made and nothing was sent. `host` is the URL's host."""

    def __init__(self, message: str, *, operation: str = "", host: str = "") -> None:
        super().__init__(message, operation=operation)
        self.host = host


class HostNotFoundError(ConfigurationError):
    """The URL's host name does not exist (the name service says so), so nothing was sent.
    A name service that cannot answer for now is an UnreachableError instead. `host` is
    the name."""

    def __init__(self, message: str, *, operation: str = "", host: str = "") -> None:
        super().__init__(message, operation=operation)
        self.host = host


class TransientError(KashFlowError):
    """The call failed for a reason that may pass; the client already retried as many
    times as it was allowed (`attempts` says how many were made; 1 with max_retries=0).
    `timed_out` is True when no whole answer came within the client's timeout, which
    bounds each attempt from start to end. `retry_after`: seconds the server asked for."""

    def __init__(self, message: str, *, operation: str = "", status_detail: str = "",
                 retry_after: float | None = None, timed_out: bool = False) -> None:
        super().__init__(message, operation=operation, status_detail=status_detail)
        self.retry_after = retry_after  # seconds, when the server said
        self.timed_out = timed_out
        self.attempts = 1  # set by the retry loop

    def __str__(self) -> str:
        if self.attempts > 1:
            return f"{self.message} (gave up after {self.attempts} attempts)"
        return self.message


class RateLimitedError(TransientError):
    """KashFlow said "too many requests" (HTTP 429) before doing anything."""


class UnreachableError(TransientError):
    """No connection to the server could be made (refused, no route, the connection or
    TLS handshake timed out, the name service could not answer for now). Nothing was sent,
    so a write may be sent again safely; the client retries it like a read."""


class UnclearOutcomeError(TransientError):
    """A write was sent and no clear answer came back (timed_out says whether because the
    timeout passed). Never retried by the client: look the document up in KashFlow (e.g.
    by its reference) before sending it again."""


# StatusDetail -> error -------------------------------------------------------

IP_REFUSED = re.compile(r"The IP address of .*? is not in the access list", re.IGNORECASE)

HINTS: dict[type[KashFlowError], str] = {
    AuthenticationError: "KashFlow did not accept the username or password ({detail}). Check "
                         "both; if KashFlow's API Settings use a separate API password, enter "
                         "that one.",
    IPNotAllowedError: "KashFlow refused this server's IP address ({detail}). Reconnect with "
                       "the AutoAuth key, or add the address to the access list in KashFlow's "
                       "API Settings.",
    ApiDisabledError: "The SOAP API is switched off for this KashFlow account ({detail}). Tick "
                      "\"Enable SOAP API\" in KashFlow's API Settings.",
    AutoAuthError: "KashFlow refused the AutoAuth key ({detail}). Tick \"Enable AutoAuth\" in "
                   "KashFlow's API Settings and copy the key from there again.",
    AccessDeniedError: "KashFlow denied access ({detail}). Check the account's API Settings "
                       "in KashFlow.",
    NotFoundError: "KashFlow could not find what {operation} asked for ({detail}).",
    ValidationError: "KashFlow refused {operation}: {detail}.",
}


# What a refusal is about, by the words of its StatusDetail, first match wins. A key with
# a space is looked for as text, a single word as a whole word.
SUBJECTS: list[tuple[str, tuple[str, ...]]] = [
    ("nominal", ("nominal", "chargetype")),
    ("vat", ("vat rate", "vat")),
    ("partner", ("supplier", "customer")),
    ("project", ("project",)),
    ("bank", ("bank account", "payment method")),
    ("decimals", ("decimal",)),
]


def refusal_subject(detail: str) -> str:
    """What a refusal's sentence is about: "nominal", "vat", "partner", "project",
    "bank", "decimals", or "" """
    text = detail.lower()
    words = set(re.findall(r"[a-z]+", text))
    for subject, keys in SUBJECTS:
        if any((key in text) if " " in key else (key in words) for key in keys):
            return subject
    return ""


def classify_status_detail(detail: str) -> type[KashFlowError]:
    """The error class for a Status NO, from KashFlow's StatusDetail sentence."""
    text = detail.strip().lower()
    if text.startswith("incorrect username or password"):
        return AuthenticationError
    if IP_REFUSED.search(detail):
        return IPNotAllowedError
    if "autoauth" in text:
        return AutoAuthError
    if "api" in text and ("not enabled" in text or "disabled" in text):
        return ApiDisabledError
    if "access denied" in text:
        return AccessDeniedError
    if text.startswith("there is no"):
        return NotFoundError
    return ValidationError


def error_from_status(operation: str, detail: str | None) -> KashFlowError:
    """The exception for a response with Status NO."""
    detail = (detail or "").strip()
    cls = classify_status_detail(detail)
    shown = f'"{detail.rstrip(".")}"' if detail else "no reason given"
    message = HINTS[cls].format(detail=shown, operation=operation)
    return cls(message, operation=operation, status_detail=detail)
