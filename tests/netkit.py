"""Small servers on 127.0.0.1 for the client's network tests: one that gives every POST the
same answer, one that records whatever reaches it, and a relay that can speak TLS and drip
what it passes back, as a slow or hostile server would.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import time


class FixedAnswer(http.server.BaseHTTPRequestHandler):
    """Gives every POST the same answer: (status, headers, body chunks). HTTP/1.0, so an
    answer without Content-Length ends when the connection closes."""

    answer: tuple[int, dict[str, str], list[bytes]]

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        status, headers, chunks = self.answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except ConnectionError:
            pass  # the client stopped reading, as it should past its size limit

    def log_message(self, *args):
        pass


def serve_fixed_answer(status: int, headers: dict[str, str], chunks: list[bytes]
                       ) -> http.server.ThreadingHTTPServer:
    """A started server giving every POST this answer; shutdown() and server_close() it."""
    handler = type("Handler", (FixedAnswer,), {"answer": (status, headers, chunks)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server


class Listener:
    """Accepts connections, optionally speaking TLS, and keeps what each one sends."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.connections = 0
        self._received = bytearray()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def received(self) -> bytes:
        with self._lock:
            return bytes(self._received)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            with self._lock:
                self.connections += 1
                self._sockets.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
                self._sockets.append(conn)
            self.handle(conn)
        except OSError:  # ssl.SSLError included: the client refused us
            pass
        finally:
            conn.close()

    def handle(self, conn: socket.socket) -> None:
        """Keep what the client sends until it closes."""
        while data := conn.recv(65536):
            self._record(data)

    def _record(self, data: bytes) -> None:
        with self._lock:
            self._received += data

    def close(self) -> None:
        self._server.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class Relay(Listener):
    """Passes each connection on to upstream (host, port) and its answers back. With
    drip_after, the answer flows freely up to and including that marker (b"" for none),
    then one byte every drip_interval seconds, for at most drip_for seconds."""

    def __init__(self, upstream: tuple[str, int], tls: ssl.SSLContext | None = None,
                 drip_after: bytes | None = None, drip_interval: float = 0.25,
                 drip_for: float = 12.0) -> None:
        self.upstream = upstream
        self.drip_after = drip_after
        self.drip_interval = drip_interval
        self.drip_for = drip_for
        super().__init__(tls)

    def handle(self, conn: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream)
        self._sockets.append(upstream)
        threading.Thread(target=self._pass_up, args=(conn, upstream), daemon=True).start()
        self._pass_down(upstream, conn)

    def _pass_up(self, conn: socket.socket, upstream: socket.socket) -> None:
        try:
            while data := conn.recv(65536):
                self._record(data)
                upstream.sendall(data)
        except OSError:
            pass

    def _pass_down(self, upstream: socket.socket, conn: socket.socket) -> None:
        marker = self.drip_after
        pending = bytearray()
        dripping_since: float | None = None
        while data := upstream.recv(65536):
            if marker is None:
                conn.sendall(data)
                continue
            pending += data
            if dripping_since is None:
                at = pending.find(marker)
                if at < 0:
                    continue  # held back until the marker has come
                conn.sendall(pending[:at + len(marker)])
                del pending[:at + len(marker)]
                dripping_since = time.monotonic()
            while pending:
                if time.monotonic() - dripping_since > self.drip_for:
                    return
                conn.sendall(pending[:1])
                del pending[:1]
                time.sleep(self.drip_interval)
