"""The mock's HTTP server, werkzeug's threaded one made cheaper per call; and ThreadedMockServer,
the mock on a thread, for tests: port 0 picks a free port.

As werkzeug's, it serves each connection on a thread of its own, so that a slow client never
holds up another; but the thread is started more cheaply, the queue of connections is longer
and the request log is skipped when it is off.
"""

from __future__ import annotations

import _thread
import logging
import socket
import threading

from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from .app import create_app
from .models import Backend

# Connections waiting to be accepted: a thousand clients calling at once are queued, not
# refused and made to try again a second later.
LISTEN_QUEUE = 1024


class Server(ThreadedWSGIServer):
    request_queue_size = LISTEN_QUEUE

    def process_request(self, request: socket.socket, client_address: object) -> None:
        # A bare thread: threading.Thread's start() waits for the thread to run, a hand-over
        # of the interpreter lock that makes each connection slower to take (it is a daemon
        # thread all the same: it ends with the process).
        _thread.start_new_thread(self.process_request_thread, (request, client_address))


class RequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Formatting the line is a good part of a small call's cost: skip it when
        # python -m mock_kashflow has turned werkzeug's request log off.
        if logging.getLogger("werkzeug").level <= logging.INFO:
            super().log_request(code, size)


def make_mock_server(host: str, port: int, app: Flask) -> Server:
    return Server(host, port, app, handler=RequestHandler)


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
