"""An in-process mock KashFlow on a thread, for tests: port 0 picks a free port."""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from .app import create_app
from .models import Backend


class ThreadedMockServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, app: Flask | None = None):
        self.app = app or create_app()
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
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
        self._server = make_server(self._host, self._port, self.app, threaded=True)
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
