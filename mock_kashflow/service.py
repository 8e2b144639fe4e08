"""The SOAP endpoint, /api/service.asmx, as KashFlow serves it (and its WSDL)."""

from __future__ import annotations

import socket
import time

from flask import Blueprint, Response, current_app, request

from .exceptions import KashFlowError, SoapFault
from .gate import waiting
from .models import Backend
from .responses import WRITES, KashFlowResponse, authenticate
from .schema import kashflow_schema, wsdl_bytes
from .soap import CONTENT_TYPES, build_fault, build_response, parse_request

REAL_URL = b"https://securedwebapp.com/api/service.asmx"
SOAP_PATH = "/api/service.asmx"

blueprint = Blueprint("service", __name__)


def backend() -> Backend:
    return current_app.config["BACKEND"]


@blueprint.get(SOAP_PATH)
def wsdl() -> Response:
    if not any(key.lower() == "wsdl" for key in request.args):
        operations = "".join(f"<li>{op}</li>" for op in kashflow_schema().operations)
        return Response(f"<html><body><h1>KashFlowAPI (mock)</h1><p>The WSDL is at "
                        f"<a href='?WSDL'>?WSDL</a>.</p><ul>{operations}</ul></body></html>",
                        content_type="text/html")
    # As ASMX, the WSDL names the address it was fetched from.
    own_url = request.base_url.encode()
    return Response(wsdl_bytes().replace(REAL_URL, own_url), content_type="text/xml")


@blueprint.post(SOAP_PATH)
def soap() -> Response:
    content_type = request.headers.get("Content-Type", "")
    try:
        call = parse_request(request.get_data(cache=False), kashflow_schema(),
                             request.headers.get("SOAPAction"), content_type)
    except SoapFault as fault:
        return fault_response(fault)

    with backend().lock:
        backend().calls[call.operation] += 1
    fault = backend().take_fault(call.operation)
    if fault and fault.kind == "delay":
        with waiting(request.environ):
            time.sleep(fault.delay_ms / 1000)
    elif fault and fault.kind == "rate_limit":
        return Response("Too many requests. Please slow down.", status=429,
                        headers={"Retry-After": "1"}, content_type="text/plain")
    elif fault and fault.kind == "http_500":
        return Response("<html><body><h1>Server Error in '/api' Application.</h1>"
                        "</body></html>", status=500, content_type="text/html")
    elif fault and fault.kind == "error_before":
        return fault_response(SoapFault(
            "Server", "Server was unable to process request. ---> Transaction was deadlocked "
            "on lock resources with another process and has been chosen as the deadlock "
            "victim. Rerun the transaction.", call.envelope_ns))

    outputs = run_operation(call.operation, call.params)
    body = build_response(kashflow_schema(), call.envelope_ns, call.operation, outputs)
    if fault and fault.kind == "drop_after_write":
        drop_connection()
    return Response(body, content_type=CONTENT_TYPES[call.envelope_ns])


def run_operation(operation: str, params: dict) -> dict:
    """Authenticate, run the handler and return the response element's values."""
    result_name = f"{operation}Result"
    remote_ip = request.remote_addr or ""
    state = backend()
    with state.lock:
        try:
            account = authenticate(state, operation, params, remote_ip)
            value = KashFlowResponse(state, account, remote_ip).call(operation, params)
        except KashFlowError as error:
            return {"Status": "NO", "StatusDetail": error.detail}
        if operation in WRITES:
            state.commit(account)
    outputs = value if isinstance(value, dict) and result_name in value else {result_name: value}
    return {**outputs, "Status": "OK", "StatusDetail": ""}


def fault_response(fault: SoapFault) -> Response:
    return Response(build_fault(fault), status=fault.http_status,
                    content_type=CONTENT_TYPES[fault.envelope_ns])


def drop_connection() -> None:
    """Close the client's connection without an answer, after the write is done."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        sock.shutdown(socket.SHUT_RDWR)

