"""REST errors as KashFlow answers them: a status and {"Error": ..., "Message": ...}.

Every failure under /v2/ is answered so, never with an HTML page or a 500 for bad input: a
view raises RestError, and the handlers in __init__.py turn Flask's own errors (unknown
route, wrong method, body too large) into the same shape.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask import Response, jsonify, request


class RestError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message

    def response(self) -> tuple[Response, int]:
        return jsonify(Error=self.error, Message=self.message), self.status


def invalid(message: str) -> RestError:
    """KashFlow's 400 for a request it cannot take; nothing is changed."""
    return RestError(400, "InvalidParameters", message)


def not_found(message: str) -> RestError:
    return RestError(404, "NotFound", message)


def json_body() -> dict[str, Any]:
    """The request's JSON object, numbers with a point read as exact decimals, or a 400
    that says what is wrong with it."""
    try:
        data = json.loads(request.get_data(cache=True) or b"null", parse_float=Decimal)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
        data = None
    if data is None:
        raise invalid("The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object.")
    return data
