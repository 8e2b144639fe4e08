"""Supplier and customer invoices: the values that go to KashFlow, the state of
their publication, and the partner rules copied onto them.

The Publish, Retry and Clear buttons are in invoice_publish.py."""

from sql.conditionals import Case, Coalesce
from trytond.i18n import gettext
from trytond.model import ModelView, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import without_check_access

from ..document import company_connection, prepare
from .publication import FAILURES
from .rule import DESTINATIONS, RULE_FIELDS

KASHFLOW_STATES = [
    ('not_published', "Not Published"),
    ('queued', "To Publish"),
    ('sending', "Publishing"),
    ('published', "Published"),
    ('failed', "Failed"),
    ]
# What was sent to KashFlow is no longer changed on the document.
_LOCKED = {'readonly': Eval('kashflow_state').in_(['sending', 'published'])}
# The server refuses to change them then, whatever a client shows.
LOCKED_FIELDS = {
    'kashflow_rule', 'kashflow_destination', 'kashflow_nominal',
    'kashflow_vat_rate', 'kashflow_paid', 'kashflow_payment_method',
    'kashflow_bank_account', 'kashflow_description', 'kashflow_project',
    'kashflow_allow_duplicate',
    }
# The real KashFlow's web application; a mock serves its pages beside its API.
KASHFLOW_WEB = 'https://app.kashflow.com'


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    kashflow_rule = fields.Many2One(
        'kashflow.partner_rule', "KashFlow Rule", readonly=True,
        ondelete='SET NULL')
    kashflow_destination = fields.Selection(
        DESTINATIONS, "Publish To", states=_LOCKED)
    kashflow_nominal = fields.Many2One(
        'kashflow.nominal', "Nominal Code", ondelete='RESTRICT',
        domain=[('connection.company', '=', Eval('company', -1))],
        states=_LOCKED,
        help="Used for every line instead of the account's mapping.")
    kashflow_vat_rate = fields.Many2One(
        'kashflow.vat_rate', "Default VAT Rate", ondelete='RESTRICT',
        domain=[('connection.company', '=', Eval('company', -1))],
        states=_LOCKED,
        help="Used for the lines that have no tax.")
    kashflow_paid = fields.Boolean(
        "Publish as Paid", states=_LOCKED)
    kashflow_payment_method = fields.Many2One(
        'kashflow.payment_method', "Payment Method", ondelete='RESTRICT',
        domain=[
            ('connection.company', '=', Eval('company', -1)),
            ('kind', '=', If(Eval('type') == 'in', 'receipt', 'invoice')),
            ],
        states={**_LOCKED, 'required': Bool(Eval('kashflow_paid'))})
    kashflow_bank_account = fields.Many2One(
        'kashflow.bank_account', "Bank Account", ondelete='RESTRICT',
        domain=[('connection.company', '=', Eval('company', -1))],
        states={**_LOCKED, 'required': Bool(Eval('kashflow_paid'))})
    kashflow_description = fields.Char(
        "Line Description", states=_LOCKED,
        help="Sent instead of the lines' descriptions.")
    kashflow_project = fields.Many2One(
        'kashflow.project', "Project", ondelete='RESTRICT',
        domain=[('connection.company', '=', Eval('company', -1))],
        states=_LOCKED)

    kashflow_allow_duplicate = fields.Boolean(
        "Publish Even If Already in KashFlow", states={
            **_LOCKED,
            # Offered once KashFlow is found to have the reference.
            'invisible': ((Eval('kashflow_failure') != 'duplicate')
                & ~Eval('kashflow_allow_duplicate')),
            },
        help="Send the document even when KashFlow already has one from the "
        "same partner with the same reference.")

    kashflow_state = fields.Function(fields.Selection(
            KASHFLOW_STATES, "KashFlow"), 'get_kashflow',
        searcher='search_kashflow_state')
    kashflow_number = fields.Function(
        fields.Integer("KashFlow Number", states={
                'invisible': ~Eval('kashflow_number'),
                }), 'get_kashflow')
    kashflow_url = fields.Function(
        fields.Char("KashFlow Link", states={
                'invisible': ~Eval('kashflow_url'),
                }), 'get_kashflow')
    kashflow_failure = fields.Function(
        fields.Selection(FAILURES, "Failure", states={
                'invisible': ~Eval('kashflow_failure'),
                }), 'get_kashflow')
    kashflow_message = fields.Function(
        fields.Text("KashFlow Message", states={'invisible': ~Eval('kashflow_message')}),
        'get_kashflow')
    kashflow_hint = fields.Function(
        fields.Text("How to Fix", states={'invisible': ~Eval('kashflow_hint')}),
        'get_kashflow')
    kashflow_warning = fields.Function(
        fields.Text("KashFlow Warning", states={'invisible': ~Eval('kashflow_warning')}),
        'get_kashflow')
    kashflow_file_unconfirmed = fields.Function(
        fields.Boolean("File Not Confirmed by KashFlow"), 'get_kashflow')
    kashflow_problems = fields.Function(
        fields.Text("Publishing Errors", states={'invisible': ~Eval('kashflow_problems')}),
        'get_kashflow_problems')
    kashflow_notes = fields.Function(
        fields.Text("Changed for KashFlow", states={'invisible': ~Eval('kashflow_notes')}),
        'get_kashflow_problems')
    kashflow_logs = fields.Function(fields.Many2Many(
            'kashflow.publication.log', None, None, "Publication Log"),
        'get_kashflow_logs')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._check_modify_exclude |= (
            {'kashflow_rule', 'kashflow_allow_duplicate'}
            | set(RULE_FIELDS.values()))

    @classmethod
    def write(cls, *args):
        cls.check_kashflow_locked(args)
        super().write(*args)

    @classmethod
    def check_kashflow_locked(cls, args):
        "What was sent to KashFlow is no longer changed, whoever asks"
        for invoices, values in zip(args[::2], args[1::2], strict=True):
            names = LOCKED_FIELDS & values.keys()
            if not names:
                continue
            for invoice in invoices:
                changed = [n for n in names
                    if getattr(getattr(invoice, n), 'id', getattr(invoice, n))
                    != values[n]]
                if changed and invoice.kashflow_state in {'sending', 'published'}:
                    raise AccessError(gettext(
                            'dext_kashflow.msg_invoice_kashflow_locked',
                            invoice=invoice.rec_name,
                            fields=', '.join(sorted(
                                    cls._fields[n].string for n in changed))))

    @classmethod
    def view_attributes(cls):
        attributes = [
            ('//label[@id="kashflow_failed"]', 'states', {
                    'invisible': ~Eval('kashflow_failure'),
                    }),
            ]
        # The texts show only when they say something.
        for name in ['kashflow_message', 'kashflow_hint', 'kashflow_warning',
                'kashflow_problems', 'kashflow_notes']:
            attributes.append((f'//separator[@name="{name}"]', 'states', {
                        'invisible': ~Eval(name),
                        }))
        return super().view_attributes() + attributes

    @classmethod
    def default_kashflow_destination(cls):
        return 'kashflow'

    @property
    def kashflow_can_change_rule(self):
        "A rule may change this document while it is not (being) published"
        return self.kashflow_state in {'not_published', 'queued', 'failed'}

    # Publication state ----------------------------------------------------

    @classmethod
    def kashflow_publications(cls, invoices):
        Publication = Pool().get('kashflow.publication')
        with without_check_access():
            return {p.invoice.id: p for p in Publication.search([
                        ('invoice', 'in', [i.id for i in invoices]),
                        ])}

    @classmethod
    def get_kashflow(cls, invoices, names):
        publications = cls.kashflow_publications(invoices)
        result = {n: {} for n in names}
        for invoice in invoices:
            publication = publications.get(invoice.id)
            state = publication.state if publication else 'not_published'
            if state == 'cleared':
                state, publication = 'not_published', None
            values = {
                'kashflow_state': state,
                'kashflow_number': publication.kashflow_number if publication else None,
                'kashflow_url': invoice._kashflow_url(publication),
                'kashflow_failure': publication.failure if publication else None,
                'kashflow_message': publication.message if publication else None,
                'kashflow_hint': publication.hint if publication else None,
                'kashflow_warning': publication.warning if publication else None,
                'kashflow_file_unconfirmed': bool(
                    publication and publication.file_unconfirmed),
                }
            for name in names:
                result[name][invoice.id] = values[name]
        return result

    def _kashflow_url(self, publication):
        if not publication or not publication.kashflow_number or not publication.connection:
            return None
        section = 'purchases' if self.type == 'in' else 'sales'
        url = publication.connection.url or ''
        root = KASHFLOW_WEB if 'securedwebapp.com' in url else url.split('/api/')[0]
        return f'{root}/{section}/{publication.kashflow_number}'

    @classmethod
    def search_kashflow_state(cls, name, clause):
        pool = Pool()
        Publication = pool.get('kashflow.publication')
        invoice = cls.__table__()
        publication = Publication.__table__()
        _, operator, value = clause[:3]
        Operator = fields.SQL_OPERATORS[operator]
        state = Case(
            (publication.state == 'cleared', 'not_published'),
            else_=Coalesce(publication.state, 'not_published'))
        query = invoice.join(publication, 'LEFT',
            condition=publication.invoice == invoice.id
            ).select(invoice.id, where=Operator(state, value))
        return [('id', 'in', query)]

    @classmethod
    def get_kashflow_problems(cls, invoices, names):
        """What stops each document from being published, and what is changed
        to fit KashFlow: checked now, or as it was when it was sent"""
        result = {n: {} for n in names}
        publications = cls.kashflow_publications(invoices)
        for invoice in invoices:
            publication = publications.get(invoice.id)
            problems = notes = []
            if publication and publication.state in {'sending', 'published'}:
                notes = (publication.notes or '').splitlines()
            elif invoice.state in {'posted', 'paid'}:
                with without_check_access():
                    prepared = prepare(invoice, company_connection(invoice.company))
                problems, notes = prepared.problems, prepared.notes
            values = {'kashflow_problems': problems, 'kashflow_notes': notes}
            for name in names:
                result[name][invoice.id] = '\n'.join(
                    f'\u2022 {p}' for p in values[name]) or None
        return result

    @classmethod
    def get_kashflow_logs(cls, invoices, name):
        Log = Pool().get('kashflow.publication.log')
        logs = {i.id: [] for i in invoices}
        with without_check_access():
            for log in Log.search([('invoice', 'in', list(logs))]):
                logs[log.invoice.id].append(log.id)
        return logs

    # Rules ------------------------------------------------------------------

    @classmethod
    def kashflow_apply_rules(cls, invoices):
        "Copy each partner's rule onto its documents (or the defaults, without one)"
        Rule = Pool().get('kashflow.partner_rule')
        to_write = []
        for invoice in invoices:
            rule = Rule.find(invoice)
            if rule:
                values = rule.invoice_values()
            else:
                values = {f: None for f in RULE_FIELDS.values()}
                values.update(kashflow_rule=None, kashflow_destination='kashflow',
                    kashflow_paid=False)
            changed = {k: v for k, v in values.items()
                if getattr(getattr(invoice, k), 'id', getattr(invoice, k)) != v}
            if changed:
                to_write.extend(([invoice], changed))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def create(cls, vlist):
        invoices = super().create(vlist)
        with without_check_access():
            cls.kashflow_apply_rules(invoices)
        return invoices

    @classmethod
    @ModelView.button
    @Workflow.transition('posted')
    def post(cls, invoices):
        super().post(invoices)
        with without_check_access():
            posted = cls.browse([i for i in invoices if i.state in {'posted', 'paid'}])
            cls.kashflow_apply_rules(
                [i for i in posted if i.kashflow_can_change_rule])
            automatic = [i for i in posted
                if i.kashflow_rule and i.kashflow_rule.auto_publish == 'always'
                and i.kashflow_state in {'not_published', 'queued'}]
        if automatic:
            cls.kashflow_queue(automatic)

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('kashflow_rule')
        default.setdefault('kashflow_allow_duplicate')
        return super().copy(invoices, default=default)
