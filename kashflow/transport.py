"""HTTP under zeep: a timeout on every call, a cap on answer sizes, no secrets in logs.

The exceptions here are low level; kashflow.failures turns them into the
client's errors, where it is known whether the call was a write.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import threading
from urllib.parse import urlsplit

import requests
from zeep.transports import Transport
from zeep.utils import get_media_type

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


class KashFlowTransport(Transport):
    def __init__(self, timeout: float, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 session: requests.Session | None = None) -> None:
        # No cache: the WSDL comes from the package, never over the network.
        super().__init__(cache=None, timeout=timeout, operation_timeout=timeout,
                         session=session)
        self.max_response_bytes = max_response_bytes
        self._local = threading.local()

    @property
    def answered(self) -> bool:
        """Whether this thread's last call got an answer (so zeep's failures after it are
        about reading that answer, not about building the request)."""
        return getattr(self._local, "answered", False)

    @answered.setter
    def answered(self, value: bool) -> None:
        self._local.answered = value

    def post(self, address: str, message: bytes | str, headers: dict[str, str]
             ) -> requests.Response:
        # zeep mounts a file:// adapter on the session; KashFlow is only ever on the web.
        if urlsplit(address).scheme.lower() not in ("http", "https"):
            raise requests.exceptions.InvalidSchema(f"{address!r} is not an http(s) address")
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("HTTP Post to %s:\n%s", address, as_text(message))
        # stream=True so that an oversized body is refused before it is all in memory.
        response = self.session.post(address, data=message, headers=headers,
                                     timeout=self.operation_timeout, stream=True)
        try:
            response._content = self._read_body(response)
        finally:
            response.close()
        self.answered = True
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("HTTP Response from %s (status: %d):\n%s", address,
                              response.status_code, as_text(response.content))
        check_status(response)
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


def check_status(response: requests.Response) -> None:
    """Let zeep read 200s and SOAP faults; anything else is an HTTP-level failure."""
    status = response.status_code
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
