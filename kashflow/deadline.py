"""One deadline for a whole HTTP call, and a record of whether any of it was sent.

requests' timeout bounds each wait on the socket, not the call: a server that drips a byte
a second keeps a call open as long as it likes. Here a timer shuts the call's socket down
when the deadline passes, whatever the call is doing (TLS handshake, sending, waiting for
the headers, reading the body); the transport then reports the deadline. Only the TCP
connect and the name lookup cannot be cut: the first is bounded by the connect timeout, the
second by the system's resolver.

The same hooks note when the first byte of the request is handed to the socket, so that a
failure before it is known to have sent nothing.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import urllib3.connection
import urllib3.connectionpool
from requests.adapters import HTTPAdapter

_active = threading.local()  # the Call this thread is making, if any


class DeadlinePassed(TimeoutError):
    """Raised inside the call when it goes on past its deadline."""


class Call:
    """One HTTP exchange under a deadline: use `with Call(seconds) as call:`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.watched = False  # our connection hooks saw this call
        self.sent = False  # a byte of the request may have left
        self.answered = False  # the whole answer arrived (set by the transport)
        self.expired = False
        self.elapsed = 0.0  # seconds from sending to the answer's last byte
        self.body_bytes = 0  # the answer's size
        self._connection: urllib3.connection.HTTPConnection | None = None
        # The connection lets go of its socket once the answer's headers say the server
        # will close it; the answer's body is still read from that socket.
        self._socket: socket.socket | None = None
        self._finished = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @property
    def nothing_sent(self) -> bool:
        """True only when it is certain that no byte of the request left."""
        return self.watched and not self.sent

    def __enter__(self) -> Call:
        _active.call = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._finished = True
        self._timer.cancel()
        _active.call = None

    def watch(self, connection: urllib3.connection.HTTPConnection) -> None:
        """The connection this call uses; raises once the deadline has passed."""
        with self._lock:
            self.watched = True
            self._connection = connection
            self._socket = connection.sock or self._socket
            if self.expired:
                raise DeadlinePassed(f"the deadline of {self.seconds:g} s passed")

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            sock = (self._connection.sock if self._connection else None) or self._socket
            if sock is not None:
                shut_down(sock)


def shut_down(sock: socket.socket) -> None:
    """Wake whatever waits on sock, from another thread. A duplicate of the descriptor is
    shut down, not sock itself: an SSLSocket's shutdown() would drop its TLS state while
    the other thread is still using it."""
    try:
        with socket.socket(fileno=socket.dup(sock.fileno())) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def active() -> Call | None:
    return getattr(_active, "call", None)


class WatchedConnection:
    """Mixin for urllib3's connections: registers with the active Call and notes sending."""

    def connect(self) -> None:
        call = active()
        if call:
            call.watch(self)  # type: ignore[arg-type]
        super().connect()  # type: ignore[misc]
        if call:
            call.watch(self)  # type: ignore[arg-type]  # raises if it expired meanwhile

    def request(self, *args: Any, **kwargs: Any) -> None:
        call = active()
        if call:
            call.watch(self)  # type: ignore[arg-type]  # a reused connection
        super().request(*args, **kwargs)  # type: ignore[misc]

    def send(self, data: Any) -> None:
        call = active()
        if call:
            if self.sock is None:  # type: ignore[attr-defined]
                self.connect()  # as http.client would, but before saying we sent
            call.watch(self)  # type: ignore[arg-type]
            call.sent = True
        super().send(data)  # type: ignore[misc]


class WatchedHTTPConnection(WatchedConnection, urllib3.connection.HTTPConnection):
    pass


class WatchedHTTPSConnection(WatchedConnection, urllib3.connection.HTTPSConnection):
    pass


class WatchedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


WATCHED_POOLS = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter with watched connections, directly or through an HTTP proxy."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if type(manager) is urllib3.ProxyManager:  # SOCKS has its own connections
            manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager
