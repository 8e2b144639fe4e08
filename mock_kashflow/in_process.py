"""A mock KashFlow in this process, driven through its control API (/_mock/...).

What the module's scenarios and the benchmarks start: ThreadedMockServer on a free port, and
one method per control call they make.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from .server import ThreadedMockServer

TIMEOUT = 10


class MockKashFlow:
    """A mock KashFlow server on a free port, with one shortcut per control call."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = ThreadedMockServer().start()
        self.url = self.server.url
        self.service_url = self.server.service_url
        self.rest_url = f"{self.server.url}/v2"

    def stop(self) -> None:
        self.server.stop()

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        response = requests.request(method, f"{self.url}/_mock/{path}", json=json,
                                    timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()

    def create_account(self, username: str, password: str, seed: str = "demo") -> str:
        """Create an account and return its AutoAuth key."""
        return self._call("POST", "accounts", {
            "username": username, "password": password, "seed": seed})["autoauth_key"]

    def account(self, username: str) -> dict:
        return self._call("GET", f"accounts/{username}")

    def settings(self, username: str, **values: Any) -> Any:
        return self._call("PATCH", f"accounts/{username}/settings", values)

    def add(self, username: str, collection: str, records: list[dict]) -> list[int]:
        return self._call("POST", f"accounts/{username}/{collection}", records)["ids"]

    def update(self, username: str, collection: str, record_id: int, **values: Any) -> Any:
        return self._call("PATCH", f"accounts/{username}/{collection}/{record_id}", values)

    def delete(self, username: str, collection: str, record_id: int) -> Any:
        return self._call("DELETE", f"accounts/{username}/{collection}/{record_id}")

    def fault(self, operation: str, kind: str, times: int = 1, delay_ms: int = 0) -> Any:
        """Make the next `times` calls of operation fail as kind."""
        return self._call("POST", "faults", {
            "operation": operation, "kind": kind, "times": times, "delay_ms": delay_ms})

    def delay_every_call(self, latency_ms: int) -> None:
        """Answer every KashFlow call after latency_ms (none for 0)."""
        if latency_ms > 0:
            self.fault("*", "delay", times=1_000_000_000, delay_ms=latency_ms)

    def faults(self) -> list[dict]:
        """The faults still to happen."""
        return self._call("GET", "faults")

    def clear_faults(self) -> Any:
        return self._call("DELETE", "faults")

    def calls(self) -> dict:
        """The SOAP calls the mock received since its reset, by operation."""
        return self._call("GET", "calls")

    def clear_calls(self) -> Any:
        return self._call("DELETE", "calls")
