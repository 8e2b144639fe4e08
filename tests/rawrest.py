"""Hand-built calls to the mock's REST API v2, as KashFlow's documentation shows them.

The mock's own tests use these rather than our client library, so that the mock is held to
KashFlow's shapes, not to what our client happens to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from rawsoap import Account


@dataclass
class Rest:
    base_url: str
    token: str = ""

    def call(self, method: str, path: str, body: Any = None, **params: Any,
             ) -> requests.Response:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"KfToken {self.token}"
        return requests.request(method, f"{self.base_url}/v2{path}", json=body, params=params,
                                headers=headers, timeout=10)

    def follow(self, url: str) -> Any:
        """A page's NextPageUrl (absolute), as a client follows it."""
        response = requests.get(url, headers={"Authorization": f"KfToken {self.token}"},
                                timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        response = self.call("GET", path, **params)
        assert response.status_code == 200, response.text
        return response.json()


def letters(word: str, asked: list[dict]) -> list[dict]:
    """The memorable word's letters at the positions asked (1-based)."""
    return [{"Position": p["Position"], "Value": word[p["Position"] - 1]} for p in asked]


def start(base_url: str, username: str, password: str) -> requests.Response:
    return requests.post(f"{base_url}/v2/sessiontoken", timeout=10,
                         json={"UserName": username, "Password": password})


def finish(base_url: str, temporary: str, given: list[dict]) -> requests.Response:
    return requests.put(f"{base_url}/v2/sessiontoken", timeout=10,
                        json={"TemporaryToken": temporary, "MemorableWordList": given})


def log_in(account: Account, word: str = "pineapple") -> Rest:
    first = start(account.base_url, account.username, account.password)
    assert first.status_code == 201, first.text
    second = finish(account.base_url, first.json()["TemporaryToken"],
                    letters(word, first.json()["MemorableWordList"]))
    assert second.status_code == 200, second.text
    return Rest(account.base_url, second.json()["SessionToken"])
