"""REST logins and session tokens, kept in memory as KashFlow keeps them on its servers.

A login has two steps: the username and password earn a temporary token and three positions
of the account's memorable word; the letters at those positions (any case) earn a session
token, sent as `Authorization: KfToken <token>` on every call. A session ends after the
account's idle minutes without a call (KashFlow: 60) or when deleted. Bad logins in a row
lock the user out. Sessions do not outlive the mock's process (KashFlow's do not outlive a
logout either): a client that gets InvalidSessionToken logs in again.

Where KashFlow's documentation is silent (the developer guide, "The REST API in the mock"):
a temporary token lasts TEMPORARY_MINUTES and serves one attempt; LOCK_AFTER bad logins in a
row lock the user; an external token is made by the control API and serves once.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import uuid
from dataclasses import dataclass, field

from ..models import Account
from .errors import RestError

TEMPORARY_MINUTES = 10
LOCK_AFTER = 5
POSITIONS_ASKED = 3


def bad_token() -> RestError:
    return RestError(401, "InvalidSessionToken", "Session token provided is invalid.")


def locked_out() -> RestError:
    return RestError(401, "AccountLocked",
                     "User account is locked, please contact administrator.")


@dataclass
class Pending:
    username: str
    positions: list[int]
    expires: dt.datetime


@dataclass
class Session:
    username: str
    last_used: dt.datetime


@dataclass
class Sessions:
    pending: dict[str, Pending] = field(default_factory=dict)  # by temporary token
    active: dict[str, Session] = field(default_factory=dict)  # by session token
    external: dict[tuple[str, int], str] = field(default_factory=dict)  # (token, uid): user
    failures: dict[str, int] = field(default_factory=dict)  # bad logins in a row, by user
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.pending.clear()
            self.active.clear()
            self.external.clear()
            self.failures.clear()

    # The two steps -------------------------------------------------------

    def start(self, account: Account | None, username: str, password: str,
              ) -> tuple[str, Pending] | None:
        """Step 1: a temporary token and the positions to ask for; None for a bad login
        (counted: the caller answers it, and commits the account when it got locked)."""
        if account is not None and account.settings.locked:
            raise locked_out()
        if account is None or not account.api_password_ok(password):
            self.failed(account, username)
            return None
        word = account.settings.memorable_word
        positions = sorted(random.sample(range(1, len(word) + 1), POSITIONS_ASKED))
        pending = Pending(account.username, positions,
                          now() + dt.timedelta(minutes=TEMPORARY_MINUTES))
        token = new_token()
        with self.lock:
            self.pending[token] = pending
        return token, pending

    def take_pending(self, temporary_token: str) -> Pending | None:
        """The login a temporary token started, once: it serves one attempt."""
        with self.lock:
            pending = self.pending.pop(temporary_token.upper(), None)
        if pending is None or pending.expires < now():
            return None
        return pending

    def finish(self, account: Account, pending: Pending, letters: dict[int, str]) -> str | None:
        """Step 2: a session token when the letters are those of the memorable word at the
        positions asked; None (counted) otherwise."""
        word = account.settings.memorable_word.lower()
        asked = {p: word[p - 1] for p in pending.positions}
        given = {p: (v or "").strip().lower() for p, v in letters.items()}
        if given != asked:
            self.failed(account, account.username)
            return None
        return self.open(account)

    def open(self, account: Account) -> str:
        token = new_token()
        with self.lock:
            self.failures.pop(account.username, None)
            self.active[token] = Session(account.username, now())
        return token

    def failed(self, account: Account | None, username: str) -> None:
        """Count a bad login; the LOCK_AFTER-th in a row locks a known user out."""
        with self.lock:
            count = self.failures.get(username, 0) + 1
            self.failures[username] = count
        if account is not None and count >= LOCK_AFTER:
            account.settings.locked = True

    # Sessions in use -----------------------------------------------------

    def user_of(self, token: str, idle_minutes_of) -> str:
        """The username a session token belongs to; it counts as a use. idle_minutes_of:
        the account's idle limit by username (None: the account is gone)."""
        token = token.strip().upper()
        with self.lock:
            session = self.active.get(token)
            if session is None:
                raise bad_token()
            idle = idle_minutes_of(session.username)
            if idle is None or now() - session.last_used > dt.timedelta(minutes=idle):
                del self.active[token]
                raise bad_token()
            session.last_used = now()
            return session.username

    def close(self, token: str) -> bool:
        with self.lock:
            return self.active.pop(token.strip().upper(), None) is not None

    def close_all(self, username: str) -> int:
        """End every session of a user (the control API: as if they had expired)."""
        with self.lock:
            tokens = [t for t, s in self.active.items() if s.username == username]
            for token in tokens:
                del self.active[token]
        return len(tokens)

    def new_external(self, username: str) -> tuple[str, int]:
        token, uid = new_token(), random.randint(10_000, 99_999)
        with self.lock:
            self.external[(token, uid)] = username
        return token, uid

    def take_external(self, token: str, uid: int) -> str | None:
        with self.lock:
            return self.external.pop((token.strip().upper(), uid), None)


def new_token() -> str:
    """A GUID, in capitals as KashFlow's examples show them."""
    return str(uuid.uuid4()).upper()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
