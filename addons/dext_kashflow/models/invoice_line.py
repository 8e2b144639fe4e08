"""An invoice line's own KashFlow nominal code and project, and what it sends.

A line's nominal code wins over the document's and the account's mapping; its
project over the document's. The KashFlow tab lists the document's lines with
what each will be sent as (nominal code, VAT rate, net, VAT), worked out by
the code that publishes (publishing/prepare.py), so that the bookkeeper sees
it before publishing.
"""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from ..publishing.prepare import prepare_many

# The line's own values, which the server refuses to change once sent.
LINE_FIELDS = {'kashflow_nominal', 'kashflow_project'}
# And which the client shows read-only then.
_LINE_STATES = {
    'invisible': Eval('type') != 'line',
    'readonly': Eval('kashflow_locked', False),
    }


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    kashflow_nominal = fields.Many2One(
        'kashflow.nominal', "KashFlow Nominal Code", ondelete='RESTRICT',
        domain=[('connection.company', '=', Eval('company', -1))],
        states=_LINE_STATES,
        help="Sent for this line instead of the document's nominal code "
        "and the account's mapping.")
    kashflow_project = fields.Many2One(
        'kashflow.project', "KashFlow Project", ondelete='RESTRICT',
        domain=[('connection.company', '=', Eval('company', -1))],
        states=_LINE_STATES,
        help="Sent for this line instead of the document's project.")
    kashflow_locked = fields.Function(
        fields.Boolean("Sent to KashFlow"), 'get_kashflow_locked')

    kashflow_plan_nominal = fields.Function(
        fields.Char("Nominal Code Sent"), 'get_kashflow_plan')
    kashflow_plan_vat_rate = fields.Function(
        fields.Char("VAT Rate Sent"), 'get_kashflow_plan')
    kashflow_plan_net = fields.Function(
        fields.Numeric("Net Sent", digits=(16, 2)), 'get_kashflow_plan')
    kashflow_plan_vat = fields.Function(
        fields.Numeric("VAT Sent", digits=(16, 2)), 'get_kashflow_plan')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Chosen after posting, as the document's own KashFlow values are.
        cls._check_modify_exclude |= LINE_FIELDS

    @classmethod
    def write(cls, *args):
        cls.check_kashflow_locked(args)
        super().write(*args)

    @classmethod
    def check_kashflow_locked(cls, args):
        "A line's KashFlow values no longer change once sent"
        for lines, values in zip(args[::2], args[1::2], strict=True):
            names = LINE_FIELDS & values.keys()
            if not names:
                continue
            locked = cls.get_kashflow_locked(lines, 'kashflow_locked')
            for line in lines:
                if locked[line.id] and any(
                        getattr(getattr(line, n), 'id', None) != values[n]
                        for n in names):
                    raise AccessError(gettext(
                            'dext_kashflow.msg_invoice_kashflow_locked',
                            invoice=line.invoice.rec_name,
                            fields=', '.join(sorted(
                                    cls._fields[n].string for n in names))))

    @classmethod
    def get_kashflow_locked(cls, lines, name):
        "Whether the line's document is being or has been published"
        Invoice = Pool().get('account.invoice')
        invoices = list({ln.invoice for ln in lines if ln.invoice})
        publications = Invoice.kashflow_publications(invoices)
        states = {i: p.state for i, p in publications.items()}
        return {ln.id: states.get(ln.invoice.id if ln.invoice else None)
            in {'sending', 'published'} for ln in lines}

    @classmethod
    def get_kashflow_plan(cls, lines, names):
        """What each line will be sent as, worked out by preparing its
        document as publishing does; empty for a document not posted"""
        result = {n: dict.fromkeys(ln.id for ln in lines) for n in names}
        invoices = list({ln.invoice for ln in lines
                if ln.invoice and ln.invoice.state in {'posted', 'paid'}})
        with without_check_access():
            # What the documents share (connections, mappings...) read once.
            for prepared in prepare_many(invoices).values():
                for plan in prepared.line_plans:
                    values = {
                        'kashflow_plan_nominal': (plan.nominal.rec_name
                            if plan.nominal else None),
                        'kashflow_plan_vat_rate': (plan.vat_rate.rec_name
                            if plan.vat_rate else None),
                        'kashflow_plan_net': plan.net,
                        'kashflow_plan_vat': plan.vat,
                        }
                    for name in names:
                        if plan.line_id in result[name]:
                            result[name][plan.line_id] = values[name]
        return result
