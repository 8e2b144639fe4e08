"""Hand-built SOAP calls, written as PHP and Ruby clients of KashFlow write them.

The mock's own tests use these rather than our client library, so that the
mock is held to the wire format, not to what our client happens to send.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests
from lxml import etree

KF = "KashFlow"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


@dataclass
class Account:
    base_url: str
    username: str
    password: str
    autoauth_key: str

    @property
    def url(self) -> str:
        return f"{self.base_url}/api/service.asmx"

    def state(self) -> dict:
        response = requests.get(f"{self.base_url}/_mock/accounts/{self.username}", timeout=10)
        response.raise_for_status()
        return response.json()

    def settings(self, **values) -> None:
        requests.patch(f"{self.base_url}/_mock/accounts/{self.username}/settings",
                       json=values, timeout=10).raise_for_status()

    def call(self, operation: str, body: str = "", **kw) -> Reply:
        return call(self.url, operation, self.username, self.password, body, **kw)


def new_account(base_url: str, seed: str = "demo", open_ips: bool = True) -> Account:
    username = f"user-{uuid.uuid4().hex[:10]}"
    response = requests.post(f"{base_url}/_mock/accounts", timeout=10, json={
        "username": username, "password": "secret-pw", "seed": seed})
    response.raise_for_status()
    account = Account(base_url, username, "secret-pw", response.json()["autoauth_key"])
    if open_ips:
        account.settings(restrict_ips=False)
    return account


@dataclass
class Reply:
    http_status: int
    root: etree._Element | None
    text: str

    def find(self, name: str) -> etree._Element | None:
        return None if self.root is None else self.root.find(f".//{{{KF}}}{name}")

    def value(self, name: str) -> str | None:
        node = self.find(name)
        return None if node is None else (node.text or "")

    @property
    def status(self) -> tuple[str | None, str | None]:
        return self.value("Status"), self.value("StatusDetail")

    @property
    def ok(self) -> bool:
        return self.value("Status") == "OK"

    @property
    def fault(self) -> str | None:
        if self.root is None:
            return None
        text = self.root.findtext(".//faultstring")
        return text if text is not None else self.root.findtext(f".//{{{SOAP12}}}Text")


def envelope(operation: str, inner: str, version: str = "1.1", prefixed: bool = False) -> str:
    """The request envelope; prefixed=True binds KashFlow to a prefix, as zeep and PHP do."""
    soap_ns = SOAP11 if version == "1.1" else SOAP12
    if prefixed:
        inner_prefixed = (inner.replace("<", "<kf:").replace("<kf:/", "</kf:")
                          .replace('xsi:type="InvoiceLine"', 'xsi:type="kf:InvoiceLine"'))
        payload = f'<kf:{operation} xmlns:kf="{KF}">{inner_prefixed}</kf:{operation}>'
    else:
        payload = f'<{operation} xmlns="{KF}">{inner}</{operation}>'
    return (f'<?xml version="1.0" encoding="utf-8"?>'
            f'<soap:Envelope xmlns:soap="{soap_ns}" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            f"<soap:Body>{payload}</soap:Body></soap:Envelope>")


def post(url: str, body: bytes | str, operation: str | None, version: str = "1.1") -> Reply:
    if version == "1.1":
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if operation:
            headers["SOAPAction"] = f'"KashFlow/{operation}"'
    else:
        action = f'; action="KashFlow/{operation}"' if operation else ""
        headers = {"Content-Type": f"application/soap+xml; charset=utf-8{action}"}
    data = body.encode() if isinstance(body, str) else body
    response = requests.post(url, data=data, headers=headers, timeout=10)
    try:
        root = etree.fromstring(response.content)
    except etree.XMLSyntaxError:
        root = None
    return Reply(response.status_code, root, response.text)


def call(url: str, operation: str, username: str, password: str, body: str = "",
         version: str = "1.1", prefixed: bool = False) -> Reply:
    inner = f"<UserName>{username}</UserName><Password>{password}</Password>{body}"
    return post(url, envelope(operation, inner, version, prefixed), operation, version)


def line(rate: str = "100.00", vat_rate: str = "20", vat: str = "20.00", charge_type: int = 0,
         quantity: str = "1", description: str = "Item", xsi_type: str = 'xsi:type="InvoiceLine"',
         project: int = 0, values_in_currency: str | None = None) -> str:
    in_currency = ("" if values_in_currency is None
                   else f"<ValuesInCurrency>{values_in_currency}</ValuesInCurrency>")
    return (f"<anyType {xsi_type}><Quantity>{quantity}</Quantity>"
            f"<Description>{description}</Description><Rate>{rate}</Rate>"
            f"<ChargeType>{charge_type}</ChargeType><VatRate>{vat_rate}</VatRate>"
            f"<VatAmount>{vat}</VatAmount><ProductID>0</ProductID><Sort>0</Sort>"
            f"<ProjID>{project}</ProjID><LineID>0</LineID>{in_currency}</anyType>")


def document(party_id: int, lines: list[str], reference: str = "REF-1",
             date: str = "2026-11-01T00:00:00", project: int = 0, currency: str = "",
             rate: str = "1") -> str:
    currency_code = f"<CurrencyCode>{currency}</CurrencyCode>" if currency else ""
    return (f"<Inv><InvoiceDBID>0</InvoiceDBID><InvoiceNumber>0</InvoiceNumber>"
            f"<InvoiceDate>{date}</InvoiceDate><DueDate>0001-01-01T00:00:00</DueDate>"
            f"<CustomerID>{party_id}</CustomerID><Paid>0</Paid>"
            f"<CustomerReference>{reference}</CustomerReference><SuppressTotal>0</SuppressTotal>"
            f"<ProjectID>{project}</ProjectID>{currency_code}<ExchangeRate>{rate}</ExchangeRate>"
            f"<Lines>{''.join(lines)}</Lines><NetAmount>0</NetAmount><VATAmount>0</VATAmount>"
            f"<AmountPaid>0</AmountPaid><UseCustomDeliveryAddress>false</UseCustomDeliveryAddress>"
            f"</Inv>")
