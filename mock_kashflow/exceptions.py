"""The two ways KashFlow says no."""

from __future__ import annotations


class KashFlowError(Exception):
    """A refusal KashFlow reports in-band: HTTP 200, Status NO and this StatusDetail."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class SoapFault(Exception):
    """A request the service could not read or process: HTTP 500 and a SOAP Fault."""

    def __init__(self, code: str, message: str, envelope_ns: str = "", http_status: int = 500):
        super().__init__(message)
        self.http_status = http_status
        self.code = code  # "Client" (the request is wrong) or "Server"
        self.message = message
        self.envelope_ns = envelope_ns or "http://schemas.xmlsoap.org/soap/envelope/"
