"""KashFlow's REST API v2 under /v2/, on the same server and accounts as the SOAP API.

A purchase posted here is a receipt the SOAP side reads, and the other way round: the views
translate between KashFlow's REST shapes and the records the SOAP side keeps (shapes.py), and
the business rules are the SOAP side's own. Every call is counted and may meet an injected
fault, as SOAP calls do; its name there is its method and path, e.g. "POST /purchases".
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from ..gate import waiting
from ..models import Backend
from ..service import drop_connection
from .errors import RestError
from .sessions import Sessions

PREFIX = "/v2"
blueprint = Blueprint("rest", __name__, url_prefix=PREFIX)


def backend() -> Backend:
    return current_app.config["BACKEND"]


def sessions() -> Sessions:
    return current_app.config["REST_SESSIONS"]


def operation() -> str:
    """The call's name for the fault API and the call counts: "GET /purchases/<number>"."""
    rule = request.url_rule.rule if request.url_rule else request.path
    return f"{request.method} {name_of(rule)}"


def name_of(rule: str) -> str:
    return rule.removeprefix(PREFIX).replace("<int:", "<").replace("<path:", "<")


def operations() -> set[str]:
    """Every REST call's name, for the fault API to check a fault's operation against."""
    return {f"{method} {name_of(rule.rule)}"
            for rule in current_app.url_map.iter_rules() if rule.rule.startswith(f"{PREFIX}/")
            for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}


@blueprint.before_request
def count_and_inject() -> Response | tuple[Response, int] | tuple[str, int, dict] | None:
    name = operation()
    with backend().lock:
        backend().calls[name] += 1
    fault = backend().take_fault(name)
    request.environ["mock_kashflow.rest_fault"] = fault
    if fault is None or fault.kind == "drop_after_write":
        return None
    if fault.kind == "delay":
        with waiting(request.environ):
            time.sleep(fault.delay_ms / 1000)
        return None
    if fault.kind == "rate_limit":
        return "Too many requests. Please slow down.", 429, {"Retry-After": "1",
                                                           "Content-Type": "text/plain"}
    if fault.kind == "http_500":
        return ("<html><body><h1>Server Error in '/' Application.</h1></body></html>", 500,
                {"Content-Type": "text/html"})
    # error_before: KashFlow's database timing out, which it answers with a 400.
    return RestError(400, "-2146232060", "Execution Timeout Expired. The timeout period "
                     "elapsed prior to completion of the operation or the server is not "
                     "responding.").response()


@blueprint.after_request
def drop_after_write(response: Response) -> Response:
    fault = request.environ.get("mock_kashflow.rest_fault")
    if fault is not None and fault.kind == "drop_after_write":
        drop_connection()
    return response


@blueprint.errorhandler(RestError)
def rest_error(error: RestError) -> tuple[Response, int]:
    return error.response()


def http_error(error: HTTPException) -> tuple[Response, int]:
    """Flask's own errors under /v2/ (no such resource, wrong method, body too large)."""
    if error.code == 404:
        return RestError(404, "NotFound", "No HTTP resource was found that matches the "
                         f"request URI '{request.path}'.").response()
    if error.code == 405:
        return RestError(405, "MethodNotAllowed", f"The requested resource does not support "
                         f"http method '{request.method}'.").response()
    if error.code == 413:
        return RestError(413, "RequestTooLarge", "Maximum request length exceeded.").response()
    return RestError(error.code or 400, error.name, error.description or error.name).response()


from . import credits, documents, files, lists, login, notes, partners  # noqa: E402, F401  (the views register themselves)
