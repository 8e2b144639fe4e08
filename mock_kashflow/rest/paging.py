"""KashFlow's paged lists: ?page=1&perpage=50, answered {"MetaData": {...}, "Data": [...]}.

NextPageUrl is null on the last page; the mock writes it as an absolute URL (KashFlow's
documentation does not say which; a client that follows it as given works with either).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import request

from .errors import invalid

MAX_PER_PAGE = 500


def whole(name: str, default: int, low: int = 1, high: int = 10**9) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid(f"The query parameter {name} must be a whole number from {low} to "
                      f"{high}.")
    return int(raw)


def paged(rows: Sequence[dict[str, Any]], default_per_page: int = 50) -> dict[str, Any]:
    page = whole("page", 1)
    per_page = whole("perpage", default_per_page, high=MAX_PER_PAGE)
    last = max(1, -(-len(rows) // per_page))

    def url(number: int | None) -> str | None:
        if number is None:
            return None
        query = {**request.args.to_dict(), "page": number, "perpage": per_page}
        return f"{request.base_url}?{urlencode(query)}"

    return {
        "MetaData": {
            "TotalRecords": len(rows),
            "FirstPageUrl": url(1), "LastPageUrl": url(last),
            "PreviousPageUrl": url(page - 1 if page > 1 else None),
            "NextPageUrl": url(page + 1 if page < last else None),
        },
        "Data": list(rows[(page - 1) * per_page: page * per_page]),
    }
