"""The gate: one request at a time in the application's Python code.

The server serves each connection on a thread of its own, so that slow clients and injected
delays leave the others served. But Python runs one thread at a time: with dozens of threads
all ready to run the application, most of the process's time went to passing the interpreter
lock between them (2.6 ms of CPU per InsertReceipt with 32 threads, 1.4 ms with one). The gate
lets one thread at a time into the application, once its request's body is read, and the
others wait on it asleep. A request that waits inside the application (an injected delay, the
disk with --fsync) steps out of the gate while it waits (`waiting`).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

ENVIRON_KEY = "mock_kashflow.gate"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Gate:
    """A WSGI middleware: app, `width` requests at a time."""

    def __init__(self, app: WSGIApp, width: int = 1, max_body_bytes: int | None = None):
        self.app = app
        self._slots = threading.BoundedSemaphore(width)
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any],
                 ) -> Iterable[bytes]:
        self._read_body(environ)
        environ[ENVIRON_KEY] = self
        with self._slots:
            # The answers are made in full here (bytes), not streamed after the gate.
            return list(self.app(environ, start_response))

    def _read_body(self, environ: dict[str, Any]) -> None:
        """Read the request's body before the gate: a client that sends it slowly keeps
        only its own thread waiting. A body over the limit is left to the application,
        which refuses it without reading it."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return
        if length <= 0 or (self.max_body_bytes is not None and length > self.max_body_bytes):
            return
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))

    @contextmanager
    def stepped_out(self) -> Iterator[None]:
        self._slots.release()
        try:
            yield
        finally:
            self._slots.acquire()


@contextmanager
def waiting(environ: dict[str, Any]) -> Iterator[None]:
    """Around a wait inside the application: the gate lets another request in meanwhile."""
    gate = environ.get(ENVIRON_KEY)
    if gate is None:
        yield
        return
    with gate.stepped_out():
        yield
