"""The session of KashFlow's REST API v2 under KashFlowRestClient: logging in, the one way
every call goes out, and paged lists.

Logging in takes two calls (the password, then three letters of the memorable word); the
session token is kept and shared by the client's threads, and a call told that it is no
longer valid (idle too long) logs in again once, never more. The HTTP underneath is the SOAP
client's (kashflow.transport): one deadline per call, no redirect followed, answers capped.
Nothing secret is logged: not the password, the letters, nor a token.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Self
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from . import rest_convert as convert
from .errors import (
    AuthenticationError,
    KashFlowError,
    NotFoundError,
    UnexpectedResponseError,
)
from .failures import WIRE_ERRORS, translate
from .rest_failures import SessionExpiredError, from_response, not_served
from .retry import RetryPolicy
from .transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    KashFlowTransport,
    install_token_redaction,
    shown,
)

DEFAULT_REST_URL = "https://api.kashflow.com/v2"
LOGIN = "/sessiontoken"
PER_PAGE = 100
logger = logging.getLogger("kashflow.rest")


class RestSession:
    """One KashFlow account's session over REST; KashFlowRestClient adds the calls."""

    def __init__(self, username: str, password: str, memorable_word: str,
                 url: str = DEFAULT_REST_URL, timeout: float = 30.0, max_retries: int = 3,
                 backoff: float = 0.5, app_name: str = "dext-kashflow",
                 session: requests.Session | None = None, *,
                 sleep: Callable[[float], None] = time.sleep,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 home_currency: str = "GBP") -> None:
        if not timeout or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.username = username
        self._password = password  # kept out of repr() and of every message
        self._memorable_word = memorable_word
        self.url = url.rstrip("/")
        self.app_name = app_name
        self.home_currency = home_currency.upper()
        self._owns_session = session is None
        self._transport = KashFlowTransport(timeout, max_response_bytes, session)
        self._retry = RetryPolicy(max_retries=max_retries, backoff=backoff, sleep=sleep)
        self._token: str | None = None
        self._login_lock = threading.Lock()
        self._maps: dict[str, dict[Any, Any]] = {}
        self._company_name = ""
        # What this thread's calls answered, for get_list's digest.
        self._digests = threading.local()
        install_token_redaction()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r}, url={shown(self.url)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._token:
            try:
                self._send("DELETE", f"{LOGIN}/{quote(self._token)}", "log out")
            except KashFlowError:
                pass  # it ends by itself when idle
            self._token = None
        if self._owns_session:
            self._transport.session.close()

    # The one way out -----------------------------------------------------------

    def _call(self, method: str, path: str, operation: str, *, body: Any = None,
              params: dict[str, Any] | None = None, write: bool = False,
              files: dict[str, Any] | None = None) -> Any:
        """Call KashFlow with the session, retrying as allowed; the answer's JSON (None for
        no body). A session KashFlow no longer takes is replaced once. files: a multipart
        upload's parts, as requests takes them."""

        def attempt() -> Any:
            token = self._session_token()
            try:
                return self._send(method, path, operation, body=body, params=params,
                                  write=write, token=token, files=files)
            except SessionExpiredError:
                # Refused before anything was done: log in again, once.
                self._forget(token)
                return self._send(method, path, operation, body=body, params=params,
                                  write=write, token=self._session_token(), files=files)

        return self._retry.run(attempt, operation)

    def _send(self, method: str, path: str, operation: str, *, body: Any = None,
              params: dict[str, Any] | None = None, write: bool = False,
              token: str | None = None, files: dict[str, Any] | None = None) -> Any:
        url = self._url(path)
        headers = {"Accept": "application/json", "User-Agent": self.app_name}
        if token:
            headers["Authorization"] = f"KfToken {token}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            # (Amounts read back from KashFlow are Decimals: numbers again.)
            data = json.dumps(body, default=convert.json_number).encode()
        self._transport.forget()
        try:
            response = self._transport.send(method, url, params=params, data=data,
                                             headers=headers, files=files)
        except WIRE_ERRORS as error:
            call = self._transport.last_call
            nothing_sent = call is None or call.nothing_sent
            raise translate(error, operation, self.url, write, nothing_sent) from error
        if logger.isEnabledFor(logging.DEBUG) and not path.startswith(LOGIN):
            logger.debug("%s %s: HTTP %d", method, shown(url.split("?")[0]),
                         response.status_code)
        if not 200 <= response.status_code < 300:
            raise from_response(response, operation, self.url, write)
        if not response.content:
            return None
        try:
            answer = json.loads(response.content, parse_float=Decimal)
        except ValueError as error:
            raise translate(error, operation, self.url, write) from error
        digest = getattr(self._digests, "current", None)
        if digest is not None:  # inside get_list
            digest.update(response.content)
        return answer

    def _url(self, path: str) -> str:
        """path under the client's URL; a link KashFlow gave (NextPageUrl) is followed on
        the client's own server only, so that the session token goes nowhere else."""
        parts = urlsplit(path)
        if not parts.scheme:
            return f"{self.url}{path}"
        base = urlsplit(self.url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    # The session ---------------------------------------------------------------

    def _session_token(self) -> str:
        with self._login_lock:
            if self._token is None:
                self._token = self._log_in()
            return self._token

    def _forget(self, token: str) -> None:
        with self._login_lock:
            if self._token == token:
                self._token = None

    def _log_in(self) -> str:
        """The two steps of KashFlow's login: the password, then the letters asked for."""
        try:
            started = self._send("POST", LOGIN, "log in", body={
                "UserName": self.username, "Password": self._password})
        except (NotFoundError, UnexpectedResponseError) as error:
            # Not KashFlow's login: the address serves something else.
            raise not_served(self.url, "log in") from error
        asked = [item["Position"] for item in started.get("MemorableWordList") or []]
        word = self._memorable_word
        if not asked or any(not 1 <= p <= len(word) for p in asked):
            raise AuthenticationError(
                "KashFlow asked for letters the memorable word does not have (it is "
                f"{len(word)} characters long). Check the memorable word.",
                operation="log in")
        finished = self._send("PUT", LOGIN, "log in", body={
            "TemporaryToken": started["TemporaryToken"],
            "MemorableWordList": [{"Position": p, "Value": word[p - 1]} for p in asked]})
        self._company_name = str(finished.get("CompanyName") or "")
        return str(finished["SessionToken"])

    # Paged lists ------------------------------------------------------------

    def _pages(self, path: str, operation: str, **params: Any) -> list[Any]:
        """Every row of a paged list, following NextPageUrl until it is null."""
        answer = self._call("GET", path, operation, params={**params, "perpage": PER_PAGE})
        rows = list(answer.get("Data") or [])
        seen = set()
        while (next_url := (answer.get("MetaData") or {}).get("NextPageUrl")) \
                and next_url not in seen:
            seen.add(next_url)
            answer = self._call("GET", next_url, operation)
            rows += answer.get("Data") or []
        return rows
