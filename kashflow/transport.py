"""HTTP under zeep: one deadline per call, no redirect followed, only http(s), a cap on
answer sizes, no secrets in logs.

The exceptions here are low level; kashflow.failures turns them into the
client's errors, where it is known whether the call was a write.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import threading
import time
from urllib.parse import urljoin, urlsplit

import requests
from zeep.transports import Transport
from zeep.utils import get_media_type

from .deadline import Call, DeadlineAdapter

LOGGER_NAME = "zeep.transports"  # zeep writes whole envelopes there at DEBUG
DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
XML_MEDIA_TYPES = ("text/xml", "application/soap+xml", "application/xml")


class ResponseTooLarge(Exception):
    def __init__(self, limit: int, size: int | None = None) -> None:
        super().__init__(f"the answer is larger than {limit} bytes"
                         + (f" ({size} bytes)" if size else ""))
        self.limit = limit
        self.size = size


class UnexpectedHTTPStatus(Exception):
    """An HTTP error answered with something other than a SOAP fault (which zeep reads)."""

    def __init__(self, status_code: int, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status_code} {reason}".strip())
        self.status_code = status_code
        self.reason = reason
        self.retry_after = retry_after


class Redirected(Exception):
    """The server answered with a redirect, which is never followed."""

    def __init__(self, status_code: int, location: str) -> None:
        super().__init__(f"HTTP {status_code} to {location or 'nowhere'}")
        self.status_code = status_code
        self.location = location  # absolute, or "" when the server gave none


class DeadlineExceeded(Exception):
    """The call went on past its timeout and was cut."""

    def __init__(self, seconds: float, nothing_sent: bool) -> None:
        super().__init__(f"no whole answer within {seconds:g} s")
        self.seconds = seconds
        self.nothing_sent = nothing_sent


class KashFlowTransport(Transport):
    def __init__(self, timeout: float, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 session: requests.Session | None = None) -> None:
        # No cache: the WSDL comes from the package, never over the network.
        super().__init__(cache=None, timeout=timeout, operation_timeout=timeout,
                         session=session)
        # KashFlow is only ever on the web: take off the file:// adapter zeep mounts, and
        # watch every connection so that the timeout bounds the whole call.
        self.session.adapters.pop("file://", None)
        self.session.mount("https://", DeadlineAdapter())
        self.session.mount("http://", DeadlineAdapter())
        self.max_response_bytes = max_response_bytes
        self._local = threading.local()

    @property
    def last_call(self) -> Call | None:
        """This thread's last call since forget(): whether it was sent, answered."""
        return getattr(self._local, "call", None)

    def forget(self) -> None:
        self._local.call = None

    def get(self, address: str, params: object, headers: object) -> requests.Response:
        raise requests.exceptions.InvalidSchema("the KashFlow client only posts SOAP requests")

    def load(self, url: str) -> bytes:
        raise requests.exceptions.InvalidSchema("the KashFlow client loads nothing remote")

    def post(self, address: str, message: bytes | str, headers: dict[str, str]
             ) -> requests.Response:
        """zeep's way out: a SOAP request, its answer checked for zeep to read."""
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("HTTP Post to %s:\n%s", shown(address), as_text(message))
        response = self.send("POST", address, data=message, headers=headers)
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("HTTP Response from %s (status: %d):\n%s", shown(address),
                              response.status_code, as_text(response.content))
        check_status(response, address)
        return response

    def send(self, method: str, address: str, **kwargs: object) -> requests.Response:
        """One HTTP request under the call's deadline, its whole answer read (up to the size
        limit), no redirect followed; the SOAP and REST clients' one way out."""
        scheme = urlsplit(address).scheme.lower()
        if scheme not in ("http", "https"):
            raise requests.exceptions.InvalidSchema("not an http or https address")
        timeout = self.operation_timeout
        started = time.perf_counter()
        with Call(timeout) as call:
            self._local.call = call
            try:
                # stream=True so that an oversized body is refused before it is all in
                # memory; no redirect is followed (it would carry the password elsewhere).
                response = self.session.request(method, address, timeout=timeout,
                                                stream=True, allow_redirects=False,
                                                **kwargs)  # type: ignore[arg-type]
                try:
                    response._content = self._read_body(response)
                finally:
                    response.close()
            except Exception as error:
                if call.expired:
                    raise DeadlineExceeded(timeout, call.nothing_sent) from error
                raise
        if call.expired:  # cut at the deadline: an answer without a length looks ended
            raise DeadlineExceeded(timeout, call.nothing_sent)
        call.answered = True
        call.elapsed = time.perf_counter() - started
        call.body_bytes = len(response.content)
        return response

    def _read_body(self, response: requests.Response) -> bytes:
        limit = self.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ResponseTooLarge(limit, int(declared))
        body = bytearray()
        for chunk in response.iter_content(CHUNK_BYTES):  # decoded, so gzip cannot sneak past
            body += chunk
            if len(body) > limit:
                raise ResponseTooLarge(limit)
        return bytes(body)


def check_status(response: requests.Response, address: str) -> None:
    """Let zeep read 200s and SOAP faults; anything else is an HTTP-level failure."""
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("Location", "").strip()
        raise Redirected(status, urljoin(address, location) if location else "")
    media_type = get_media_type(response.headers.get("Content-Type", ""))
    if status == 200 or (status != 429 and media_type in XML_MEDIA_TYPES and response.content):
        return
    raise UnexpectedHTTPStatus(status, response.reason or "",
                               parse_retry_after(response.headers.get("Retry-After")))


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def as_text(message: bytes | str) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else message


# Logging ---------------------------------------------------------------------

SECRET_ELEMENTS = ("Password", "AutoAuthKey")
SECRET = re.compile(
    r"(<(?:[\w.-]+:)?(" + "|".join(SECRET_ELEMENTS) + r")(?:\s[^>]*)?>)"  # opening tag
    r"[^<]*"  # the secret (XML text, so it holds no "<")
    r"(</(?:[\w.-]+:)?\2\s*>)")


USER_PART = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*@")


def shown(url: str) -> str:
    """url without a user part, "user:password@" (with or without a scheme)."""
    return USER_PART.sub(r"\1", url)


def redact(text: str) -> str:
    return SECRET.sub(r"\1***\3", text)


class RedactingFilter(logging.Filter):
    """Blanks passwords and AutoAuth keys in the envelopes zeep logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_redaction() -> None:
    """Add the filter to zeep's transport logger, once per process."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


# KashFlow's REST logout names the session token in its path, which urllib3 logs at DEBUG.
TOKEN_IN_PATH = re.compile(r"(/sessiontoken/)[^\s\"?/]+", re.IGNORECASE)
URLLIB3_LOGGER = "urllib3.connectionpool"


class TokenRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = TOKEN_IN_PATH.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_token_redaction() -> None:
    """Add the filter to urllib3's request logger, once per process."""
    logger = logging.getLogger(URLLIB3_LOGGER)
    if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
        logger.addFilter(TokenRedactingFilter())
