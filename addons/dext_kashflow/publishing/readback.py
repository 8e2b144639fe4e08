"""After publishing: what KashFlow holds of the document, against the ERP's figures.

KashFlow works out a document's net and VAT from its lines, and its amount in
the home currency from the rate it keeps. Read back once the last write is
done, a document whose net, VAT, total or home total is not the ERP's (a
rounding of KashFlow's own, a rate kept to fewer places) gets a warning with
both figures, for the bookkeeper to correct one or the other.
"""
from dataclasses import asdict, dataclass
from decimal import Decimal

from trytond.i18n import gettext

from .currency import kashflow_home, tryton_home_amounts
from .prepare import totals
from .preview import bullets

ZERO = Decimal(0)


@dataclass
class Figures:
    "A document's totals in its currency, and in the home one when it is foreign"
    net: Decimal
    vat: Decimal
    gross: Decimal
    home_vat: Decimal | None = None  # None: the document is in the home currency
    home_gross: Decimal | None = None

    @property
    def foreign(self):
        return self.home_gross is not None

    def as_log(self):
        return {k: v for k, v in asdict(self).items() if v is not None}


def expected(invoice, document):
    """What KashFlow should hold of invoice, sent as document: the totals of
    the lines sent (checked before sending to be the invoice's own, to the
    penny), and for a foreign document the VAT and total of Tryton's move in
    the company's currency"""
    net, vat = totals(document.lines)
    figures = Figures(net, vat, net + vat)
    if invoice.currency != invoice.company.currency:
        home_vat, home_gross = tryton_home_amounts(invoice)
        sign = -1 if net + vat < 0 else 1
        # Without tax data, the VAT is part of the lines' net.
        figures.home_vat = sign * home_vat if vat else ZERO
        figures.home_gross = sign * home_gross
    return figures


def held(document, foreign):
    "What KashFlow holds of document, read back"
    figures = Figures(document.net_amount, document.vat_amount,
        document.gross_amount)
    if foreign:
        home_net, figures.home_vat = kashflow_home(document.net_amount,
            document.vat_amount, document.exchange_rate)
        figures.home_gross = home_net + figures.home_vat
    return figures


FIGURES = [('net', 'msg_held_net'), ('vat', 'msg_held_vat'),
    ('gross', 'msg_held_gross')]
HOME_FIGURES = [('home_vat', 'msg_held_home_vat'),
    ('home_gross', 'msg_held_home_gross')]


def differences(ours, theirs, currency, home_currency):
    """The warning for where KashFlow's figures are not the ERP's, each with
    both; None when they agree"""
    lines = []
    for names, in_currency in [(FIGURES, currency),
            (HOME_FIGURES if ours.foreign else [], home_currency)]:
        for name, label in names:
            if getattr(ours, name) != getattr(theirs, name):
                lines.append(gettext('dext_kashflow.msg_held_figure',
                        figure=gettext(f'dext_kashflow.{label}',
                            currency=home_currency),
                        currency=in_currency, kashflow=getattr(theirs, name),
                        tryton=getattr(ours, name)))
    if not lines:
        return None
    return gettext('dext_kashflow.msg_held_differs', figures=bullets(lines))
