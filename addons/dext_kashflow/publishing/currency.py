"""A document's currency in KashFlow: the rate it goes with, and what KashFlow
makes of it in the home currency.

KashFlow's ExchangeRate is units of the document's currency per unit of the
home currency, and KashFlow derives a home amount as the amount divided by
the rate. Tryton converts with its own rates at the invoice's currency date
(amount x home rate / document rate), so the rate sent is the quotient of
the two: the one Tryton's move used. KashFlow rounds its totals, Tryton each
line of its move; where the two differ by a penny the document says so
before it is published.
"""
from dataclasses import dataclass
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

from .money import plain, to_cents

# The places of KashFlow's ExchangeRate the module sends (Tryton keeps 6).
RATE_PLACES = Decimal('0.000001')


@dataclass
class Currencies:
    "The currencies of a KashFlow account, as the refresh last read them"
    by_code: dict  # ISO code: kashflow.currency
    by_id: dict  # KashFlow id: ISO code
    home: str  # the account's own currency

    def of_partner(self, partner):
        "The currency a KashFlow supplier or customer deals in"
        return self.by_id.get(partner.currency_id or 0, self.home)


def read_currencies(connection, company_currency):
    """The connection's currencies; a connection not refreshed since KashFlow's
    currencies were read knows only the company's, as its home"""
    Currency = Pool().get('kashflow.currency')
    found = Currency.search([('connection', '=', connection.id)])
    home = next((c.code for c in found if c.home), company_currency.code)
    return Currencies(
        by_code={c.code: c for c in found},
        by_id={c.kashflow_id: c.code for c in found}, home=home)


@dataclass
class InCurrency:
    "What a document sends of its currency"
    code: str
    rate: Decimal  # KashFlow's ExchangeRate
    kashflow_currency: object = None  # the kashflow.currency, for a new partner


def document_currency(invoice, currencies, partner, problems, notes):
    """The currency and rate invoice goes to KashFlow with; what stops it is
    added to problems, a home amount KashFlow will derive differently from
    Tryton's move to notes. partner: the linked KashFlow supplier or customer,
    if any."""
    code = invoice.currency.code
    company_currency = invoice.company.currency
    name = invoice.rec_name
    if currencies.home != company_currency.code:
        problems.append(gettext('dext_kashflow.msg_publish_home_currency',
                kashflow=currencies.home, company=company_currency.code))
        return None
    partner_currency = currencies.of_partner(partner) if partner else code
    if partner_currency != code:
        problems.append(gettext('dext_kashflow.msg_publish_partner_currency',
                invoice=name, currency=code, partner=partner.rec_name,
                partner_currency=partner_currency))
    if invoice.currency == company_currency:
        return InCurrency(code, Decimal(1), currencies.by_code.get(code))
    kashflow_currency = currencies.by_code.get(code)
    if not kashflow_currency or not kashflow_currency.active:
        problems.append(gettext('dext_kashflow.msg_publish_currency_not_in_kashflow',
                invoice=name, currency=code))
    rate = tryton_rate(invoice)
    if not rate:
        problems.append(gettext('dext_kashflow.msg_publish_currency_no_rate',
                invoice=name, currency=code, date=invoice.currency_date))
        return None
    if not problems:
        _note_home_differences(invoice, rate, notes)
    return InCurrency(code, rate, kashflow_currency)


def tryton_rate(invoice):
    """Units of the invoice's currency per unit of the company's at the
    invoice's currency date, as Tryton's move converted it; None without a
    rate"""
    Currency = Pool().get('currency.currency')
    with Transaction().set_context(date=invoice.currency_date):
        document = Currency(invoice.currency.id)
        home = Currency(invoice.company.currency.id)
        if not document.rate or not home.rate:
            return None
        rate = (document.rate / home.rate).quantize(RATE_PLACES)
    return Decimal(plain(rate))  # 1.27, not 1.270000


def to_home(amount, rate):
    "An amount in the document's currency in the home one, as KashFlow derives it"
    return to_cents(amount / rate)


def kashflow_home(net, vat, rate):
    """A document's net and VAT in the home currency as KashFlow works them
    out: each converted on its own, to the penny (its total is their sum)"""
    return to_home(net, rate), to_home(vat, rate)


def tryton_home_amounts(invoice):
    """The VAT and total of invoice's move in the company's currency, as
    Tryton converted them (each line), both positive"""
    Currency = Pool().get('currency.currency')
    home = invoice.company.currency
    with Transaction().set_context(date=invoice.currency_date):
        vat = sum((Currency.compute(invoice.currency, t.amount, home)
                for t in invoice.taxes), Decimal(0))
    total = sum((ln.debit - ln.credit for ln in invoice.lines_to_pay), Decimal(0))
    return abs(vat), abs(total)


def _note_home_differences(invoice, rate, notes):
    """Tell the bookkeeper where KashFlow's home VAT or total will not be
    Tryton's: Tryton converts each line of its move, KashFlow the totals"""
    tryton_vat, tryton_total = tryton_home_amounts(invoice)
    net, vat = kashflow_home(invoice.untaxed_amount, invoice.tax_amount, rate)
    kashflow_vat, kashflow_total = abs(vat), abs(net + vat)
    if (kashflow_vat, kashflow_total) != (tryton_vat, tryton_total):
        notes.append(gettext('dext_kashflow.msg_note_home_amounts',
                currency=invoice.company.currency.code,
                kashflow_vat=kashflow_vat, kashflow_total=kashflow_total,
                tryton_vat=tryton_vat, tryton_total=tryton_total))
