"""The KashFlow document a publication would send, as a publisher reads it.

What is shown is what prepare() makes, the code that publishes: the partner,
the dates and reference, the currency and rate, each line (quantity, price,
nominal code, VAT rate and amount, project), the totals, the payment and the
files. Nothing here reads the invoice again.
"""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool

from .currency import kashflow_home
from .money import plain
from .prepare import totals


def describe(invoice, connection, prepared):
    "The text of the preview of invoice's document, prepared for connection"
    document = prepared.document
    if document is None:
        return gettext('dext_kashflow.msg_preview_not_ready')
    text = _text
    pool = Pool()
    Nominal = pool.get('kashflow.nominal')
    Project = pool.get('kashflow.project')
    day = pool.get('ir.lang').get().strftime
    nominals = _by_kashflow_id(Nominal, connection, document.lines, 'nominal_id')
    projects = _by_kashflow_id(Project, connection,
        [*document.lines, document], 'project_id')

    partner = (prepared.partner.rec_name if prepared.partner
        else text('msg_preview_new_partner', name=prepared.new_partner.name))
    net, vat = totals(document.lines)
    lines = [
        text(f'msg_preview_{prepared.kind}', partner=partner),
        text('msg_preview_dates', date=day(document.date),
            due=(day(document.due_date) if document.due_date
                else text('msg_preview_due_terms')),
            reference=document.reference or '-'),
        ]
    foreign = document.currency_code != invoice.company.currency.code
    if foreign:
        lines.append(text('msg_preview_currency', currency=document.currency_code,
                rate=document.exchange_rate, home=invoice.company.currency.code))
    if document.project_id:
        lines.append(text('msg_preview_project',
                project=projects.get(document.project_id, document.project_id)))
    lines.append('')
    for number, line in enumerate(document.lines, start=1):
        lines.append(text('msg_preview_line', number=number,
                description=line.description, quantity=plain(line.quantity),
                rate=line.rate,
                nominal=nominals.get(line.nominal_id, line.nominal_id),
                vat_rate=_vat_rate(line.vat_rate), vat=line.vat_amount,
                project=projects.get(line.project_id, '-') if line.project_id else '-'))
    lines.append('')
    lines.append(text('msg_preview_totals', currency=document.currency_code,
            net=net, vat=vat, total=net + vat))
    if foreign:
        home_net, home_vat = kashflow_home(net, vat, document.exchange_rate)
        lines.append(text('msg_preview_home_totals',
                currency=invoice.company.currency.code, net=home_net, vat=home_vat,
                total=home_net + home_vat))
    if prepared.payment:
        lines.append(text('msg_preview_payment', amount=prepared.payment.amount,
                currency=document.currency_code, date=day(prepared.payment.date)))
    for attachment in prepared.attachments:
        lines.append(text('msg_preview_file', name=attachment.filename,
                size=len(attachment.content)))
    if prepared.credited:
        lines.append(text('msg_preview_credit', invoice=prepared.credited.rec_name))
    return '\n'.join(lines)


def _text(name, **values):
    return gettext('dext_kashflow.' + name, **values)


def _by_kashflow_id(Model, connection, items, attribute):
    "{KashFlow id: name} of the records items name by attribute"
    ids = {getattr(i, attribute) for i in items} - {0, None}
    if not ids or connection is None:
        return {}
    return {r.kashflow_id: r.rec_name for r in Model.search([
                ('connection', '=', connection.id),
                ('kashflow_id', 'in', list(ids)),
                ])}


def _vat_rate(rate):
    return _text('msg_preview_exempt') if rate == Decimal(-1) else f'{plain(rate)}%'


def bullets(texts):
    "texts as the KashFlow tab and the preview list them; None for none"
    return '\n'.join(f'\u2022 {t}' for t in texts) or None
