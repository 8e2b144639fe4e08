"""Currencies: the account's list, a document's currency and rate, and a partner's currency.

KashFlow's ExchangeRate is units of the document's currency per one unit of the home
currency, so a home amount is the document's amount divided by the rate (KashFlow's own
REST example: AUD 195.08 at 2.0 is GBP 97.54). The mock's choices where KashFlow's
documentation is silent are in the developer guide ("Foreign currency in the mock").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .exceptions import KashFlowError
from .limits import check_size
from .models import Account
from .schema import Record

CENT = Decimal("0.01")
# The demo's currencies besides the home one, at a day's rate (units per pound).
DEMO_RATES = {"EUR": Decimal("1.1700"), "USD": Decimal("1.2700")}


def home_code(account: Account) -> str:
    """The code of the account's own currency (isDefault in GetCurrencies)."""
    return next((c["CurrencyCode"] for c in account.currencies if c.get("isDefault")), "GBP")


def find(account: Account, code: str | None) -> Record | None:
    wanted = (code or "").strip().upper()
    return next((c for c in account.currencies if c["CurrencyCode"] == wanted), None)


def document_currency(account: Account, doc: Record) -> tuple[str, Decimal]:
    """The currency and rate a document is kept in; refuses a currency the account does not
    have, a negative rate, and a foreign document without a rate. A home-currency
    document's rate is 1, whatever positive rate (or none) was sent."""
    home = home_code(account)
    code = (doc.get("CurrencyCode") or "").strip().upper() or home
    if find(account, code) is None:
        raise KashFlowError(f"The currency {code} is not set up in this account. Add it "
                            "in Settings, Currencies")
    rate = doc["ExchangeRate"] or Decimal(0)
    if rate < 0:
        raise KashFlowError(f"The exchange rate must be more than 0, not {rate}")
    if code == home:
        return code, Decimal(1)
    if rate == 0:
        raise KashFlowError(f"The exchange rate of a document in {code} must be more than 0, "
                            f"not {rate}")
    check_size(rate, "The exchange rate")
    return code, rate


def in_currency(line: Record, rate: Decimal) -> Record:
    """A foreign document's line in the document's currency: one sent without
    ValuesInCurrency=1 carries home amounts, which KashFlow converts at the rate."""
    if rate == 1 or line.get("ValuesInCurrency") == 1:
        return line
    return {**line, "Rate": (line["Rate"] * rate).quantize(CENT, ROUND_HALF_UP),
            "VatAmount": (line["VatAmount"] * rate).quantize(CENT, ROUND_HALF_UP)}


def to_home(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in a document's currency, in the home currency, to the penny."""
    return (amount / (rate or Decimal(1))).quantize(CENT, ROUND_HALF_UP)


def home_amounts(doc: Record) -> dict[str, Decimal]:
    """What a document comes to in the home currency, as KashFlow derives it."""
    rate = doc.get("ExchangeRate") or Decimal(1)
    net, vat = to_home(doc["NetAmount"], rate), to_home(doc["VATAmount"], rate)
    return {"HomeNetAmount": net, "HomeVATAmount": vat, "HomeGrossAmount": net + vat}


def party_currency(account: Account, party: Record) -> str:
    """The currency a supplier or customer deals in (CurrencyID; 0 or unknown: home)."""
    found = next((c for c in account.currencies
                  if c["CurrencyId"] == party.get("CurrencyID")), None)
    return found["CurrencyCode"] if found else home_code(account)


def check_party_currency(account: Account, party: Record, code: str, noun: str) -> None:
    """A document is in its partner's currency: KashFlow keeps a partner's balance in one."""
    dealt_in = party_currency(account, party)
    if dealt_in != code:
        raise KashFlowError(f"The {noun} {party['Code']} deals in {dealt_in}, so its "
                            f"documents cannot be in {code}")


def set_party_currency(account: Account, collection: str, party: Record | None,
                       code: str | None, noun: str) -> int:
    if party is None:
        raise KashFlowError(f"There is no {noun} with that code")
    currency = find(account, code)
    if currency is None:
        raise KashFlowError(f"The currency {(code or '').strip().upper() or '(none)'} is not "
                            "set up in this account")
    party["CurrencyID"] = currency["CurrencyId"]
    account.changed(collection, party)
    return 1
