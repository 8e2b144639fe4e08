"""Errors no view answered, in the shape of the API that was called: JSON under /_mock/, KashFlow's
{Error, Message} under /v2/, a SOAP Fault on the SOAP endpoint, Flask's own page elsewhere (the
pages are for people).

The unexpected-exception handler is a safety net: bad input is meant to be refused where it
is read (Status NO, a client Fault or a 4xx), never to reach it.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from . import rest
from .exceptions import SoapFault
from .service import SOAP_PATH, fault_response
from .soap import soap_version

CONTROL_PREFIX = "/_mock"


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)


def is_control() -> bool:
    return request.path == CONTROL_PREFIX or request.path.startswith(f"{CONTROL_PREFIX}/")


def is_rest() -> bool:
    return request.path.startswith(f"{rest.PREFIX}/")


def http_error(error: HTTPException) -> Response | HTTPException | tuple[Response, int]:
    if is_control():
        message = error.description or error.name
        if error.code == 405 and getattr(error, "valid_methods", None):
            message = f"{message} Allowed: {', '.join(sorted(error.valid_methods))}."
        return jsonify(error=message), error.code
    if is_rest():
        return rest.http_error(error)
    if isinstance(error, RequestEntityTooLarge):
        # As ASP.NET: the request limit is checked before the body is read.
        return fault_response(SoapFault("Client", "Maximum request length exceeded.",
                                        soap_version(request.headers.get("Content-Type", "")),
                                        http_status=413))
    return error


def unexpected_error(error: Exception) -> Response | HTTPException | tuple[Response, int]:
    current_app.logger.exception("Unexpected error on %s %s", request.method, request.path)
    what = f"{type(error).__name__}: {error}"
    if is_control():
        return jsonify(error=f"The mock failed unexpectedly ({what})"), 500
    if is_rest():
        return jsonify(Error="InternalServerError",
                       Message=f"An error has occurred. ({what})"), 500
    if request.path == SOAP_PATH:
        return fault_response(SoapFault(
            "Server", f"Server was unable to process request. ---> {what}",
            soap_version(request.headers.get("Content-Type", ""))))
    return InternalServerError()
