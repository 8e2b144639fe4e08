"""The mock's HTTP server, werkzeug's threaded one made cheaper per call; and ThreadedMockServer,
the mock on a thread, for tests: port 0 picks a free port.

werkzeug starts a thread for each connection. Here too, but at most WORKERS at a time: a
thousand clients calling at once no longer make a thousand threads that fight over Python's
interpreter lock (most of their time went to that); connections past WORKERS wait their turn,
taken by the threads as they finish. And of those threads, one at a time runs the application
(gate.py). A connection that sends nothing for IDLE_SECONDS is closed, so that idle clients
cannot hold every thread. The queue of connections is longer and the request log is skipped
when it is off.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections import deque
from collections.abc import Callable

from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from .app import create_app
from .gate import Gate
from .models import Backend

# Connections waiting to be accepted: a thousand clients calling at once are queued, not
# refused and made to try again a second later.
LISTEN_QUEUE = 1024
# Threads serving connections: enough for slow clients and injected delays to leave others
# served, few enough for them not to spend their time taking the interpreter lock in turn
# (reading requests and writing answers: the application runs one at a time, gate.py).
# 1,000 InsertReceipt calls at once: 8 threads answer 15 to 25% more a second than 32.
WORKERS = 8
IDLE_SECONDS = 60

Job = tuple[Callable[..., None], tuple[object, ...]]


class Server(ThreadedWSGIServer):
    request_queue_size = LISTEN_QUEUE

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.workers = Workers(WORKERS)

    def process_request(self, request: socket.socket, client_address: object) -> None:
        self.workers.submit(self.process_request_thread, request, client_address)


class Workers:
    """Runs each job on a thread of its own, up to `most` at a time; past that, jobs wait in a
    backlog that the threads take from as they finish."""

    def __init__(self, most: int):
        self.most = most
        self._lock = threading.Lock()  # guards what follows
        self._backlog: deque[Job] = deque()
        self._threads = 0

    def submit(self, function: Callable[..., None], *args: object) -> None:
        job = (function, args)
        with self._lock:
            if self._threads >= self.most:
                self._backlog.append(job)
                return
            self._threads += 1
        threading.Thread(target=self._work, args=(job,), daemon=True,
                         name="mock-kashflow-worker").start()

    def _work(self, job: Job) -> None:
        while True:
            function, args = job
            function(*args)  # process_request_thread, which handles its own errors
            with self._lock:
                if not self._backlog:
                    self._threads -= 1
                    return
                job = self._backlog.popleft()


class RequestHandler(WSGIRequestHandler):
    timeout = IDLE_SECONDS

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Formatting the line is a good part of a small call's cost: skip it when
        # python -m mock_kashflow has turned werkzeug's request log off.
        if logging.getLogger("werkzeug").level <= logging.INFO:
            super().log_request(code, size)


def make_mock_server(host: str, port: int, app: Flask) -> Server:
    gated = Gate(app, max_body_bytes=app.config.get("MAX_CONTENT_LENGTH"))
    return Server(host, port, gated, handler=RequestHandler)


class ThreadedMockServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, app: Flask | None = None):
        self.app = app or create_app()
        self._host, self._port = host, port
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def backend(self) -> Backend:
        return self.app.config["BACKEND"]

    @property
    def url(self) -> str:
        assert self._server, "start() the server first"
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def service_url(self) -> str:
        return f"{self.url}/api/service.asmx"

    def start(self) -> ThreadedMockServer:
        self._server = make_mock_server(self._host, self._port, self.app)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="mock-kashflow")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
            self.backend.close()

    def __enter__(self) -> ThreadedMockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
