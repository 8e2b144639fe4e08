"""Supplier and customer invoices in KashFlow: the values that go there, the
partner rules copied onto them, the state of their publication, and the
buttons and the queue that publish them.

Each document is sent by publishing/run.py, exactly once. The document a
person clicks is published at once and the outcome shown to them
(wizards/publish_outcome.py); a selection goes to the queue, oldest first, in
small tasks several workers can share.
"""
import datetime as dt

import trytond.config as config
from sql.conditionals import Case, Coalesce
from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, Workflow, fields
from trytond.model.exceptions import AccessError, SQLConstraintError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from ..exceptions import PublishError
from ..publishing import run
from ..publishing.batch import Batch
from ..publishing.prepare import company_connection, prepare, prepare_many
from ..publishing.preview import bullets
from ..publishing.sides import side_of
from ..publishing.slices import (
    NO_SELECTION,
    SLICE_SIZE,
    browse_sliced,
    browse_slices,
    search_sliced,
)
from ..publishing.tasks import TASK_SIZE, plan_tasks, publish_order, read_to_publish
from ..publishing.timing import timed
from .invoice_line import LINE_FIELDS
from .publication import FAILURES, claim_timeout
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
    kashflow_lines = fields.Function(fields.One2Many(
            'account.invoice.line', 'invoice', "Lines for KashFlow",
            states=_LOCKED,
            help="Each line's own nominal code and project, and what it "
            "will be sent as."),
        'get_kashflow_lines', setter='set_kashflow_lines')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._check_modify_exclude |= (
            {'kashflow_rule', 'kashflow_allow_duplicate', 'kashflow_lines'}
            | set(RULE_FIELDS.values()))
        cls._buttons.update({
                'kashflow_publish': {
                    'invisible': (~Eval('state').in_(['posted', 'paid'])
                        | ~Eval('kashflow_state').in_(['not_published', 'queued'])),
                    'depends': ['state', 'kashflow_state'],
                    },
                'kashflow_retry': {
                    'invisible': ~((Eval('kashflow_state') == 'failed')
                        | ((Eval('kashflow_state') == 'sending')
                            & (Eval('kashflow_failure') == 'unclear'))),
                    'depends': ['kashflow_state', 'kashflow_failure'],
                    },
                'kashflow_link': {
                    'invisible': ((Eval('kashflow_failure') != 'duplicate')
                        | (Eval('kashflow_state') != 'failed')),
                    'depends': ['kashflow_state', 'kashflow_failure'],
                    },
                'kashflow_preview': {
                    'invisible': (~Eval('state').in_(['posted', 'paid'])
                        | ~Eval('kashflow_state').in_(
                            ['not_published', 'queued', 'failed'])),
                    'depends': ['state', 'kashflow_state'],
                    },
                'kashflow_clear': {
                    'invisible': ~Eval('kashflow_state').in_(
                        ['published', 'failed', 'sending']),
                    'depends': ['kashflow_state'],
                    },
                })
        # The files KashFlow did not confirm receiving.
        files_unconfirmed = {
            'invisible': ((Eval('kashflow_state') != 'published')
                | ~Eval('kashflow_file_unconfirmed')),
            'depends': ['kashflow_state', 'kashflow_file_unconfirmed'],
            }
        cls._buttons.update({
                'kashflow_resend_files': files_unconfirmed,
                'kashflow_confirm_files': files_unconfirmed,
                })

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
            # The states read at once: a write clears the records' cache, and
            # each invoice's state would be read again for the whole list.
            publications = cls.kashflow_publications(invoices)
            for invoice in invoices:
                publication = publications.get(invoice.id)
                if not (publication
                        and publication.state in {'sending', 'published'}):
                    continue
                changed = [n for n in names
                    if getattr(getattr(invoice, n), 'id', getattr(invoice, n))
                    != values[n]]
                if changed:
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
            return {p.invoice.id: p for p in search_sliced(
                    Publication, 'invoice', invoices)}

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
                'kashflow_warning': '\n\n'.join(filter(None, [
                            publication.warning, publication.amounts_warning]))
                    or None if publication else None,
                'kashflow_file_unconfirmed': bool(
                    publication and publication.file_unconfirmed),
                }
            for name in names:
                result[name][invoice.id] = values[name]
        return result

    def _kashflow_url(self, publication):
        if not publication or not publication.kashflow_number or not publication.connection:
            return None
        section = side_of(self).web_section
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
                result[name][invoice.id] = bullets(values[name])
        return result

    def get_kashflow_lines(self, name):
        return [ln.id for ln in self.lines if ln.type == 'line']

    @classmethod
    def set_kashflow_lines(cls, invoices, name, value):
        "Only the lines' KashFlow values are changed from the KashFlow tab"
        Line = Pool().get('account.invoice.line')
        own = {ln.id for i in invoices for ln in i.lines}
        to_write = []
        for action, *args in value:
            if action != 'write':  # the lines themselves are the invoice's
                continue
            for ids, values in zip(args[::2], args[1::2], strict=True):
                values = {k: v for k, v in values.items() if k in LINE_FIELDS}
                lines = Line.browse([i for i in ids if i in own])
                if values and lines:
                    to_write.extend((lines, values))
        if to_write:
            Line.write(*to_write)

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
        # The documents that take the same values are written together: a
        # write per document would read the whole list again each time.
        by_values, rules = {}, {}
        for invoice in invoices:
            key = (invoice.company, invoice.party, invoice.type)
            if key not in rules:
                rules[key] = Rule.find(invoice)
            rule = rules[key]
            if rule:
                values = rule.invoice_values()
            else:
                values = {f: None for f in RULE_FIELDS.values()}
                values.update(kashflow_rule=None, kashflow_destination='kashflow',
                    kashflow_paid=False)
            changed = {k: v for k, v in values.items()
                if getattr(getattr(invoice, k), 'id', getattr(invoice, k)) != v}
            if changed:
                by_values.setdefault(tuple(sorted(changed.items())), []).append(
                    invoice)
        to_write = []
        for values, group in by_values.items():
            to_write.extend((group, dict(values)))
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

    # Publishing ----------------------------------------------------------

    @classmethod
    @ModelView.button
    def kashflow_publish(cls, invoices):
        """Check the documents, then publish them: the one a person clicked
        at once, saying how it went; a selection in the background.

        Every problem of every document is shown at once, and kept on the
        document; nothing is sent while any document has one.
        """
        ready, problems = cls.kashflow_checked(invoices)
        if problems:
            raise PublishError(gettext('dext_kashflow.msg_publish_problems',
                    problems='\n\n'.join(
                        f'{invoice.rec_name}:\n' + bullets(invoice_problems)
                        for invoice, invoice_problems in problems)))
        if len(invoices) == 1:
            # A person is waiting: one attempt now; what fails for a while
            # is retried by the cron.
            run.publish(invoices[0], interactive=True)
            return cls.kashflow_outcome_action()
        cls.kashflow_queue(ready)

    @classmethod
    def kashflow_outcome_action(cls):
        "The dialog that tells the person who clicked how publishing went"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action')
        return Action.get_action_id(
            ModelData.get_id('dext_kashflow', 'wizard_publish_outcome'))

    @classmethod
    def kashflow_checked(cls, invoices):
        """Check invoices before publishing them (the Publish button and the
        Publish wizard): the problems found are shown on each document.
        invoices: records or ids, browsed a slice at a time.
        Return the invoices without problems, and [(invoice, [problem])]."""
        ready, problems = [], []
        with timed('check'):
            for part in browse_slices(cls, invoices):
                found = cls.kashflow_check(part)
                failing = {invoice.id for invoice, _ in found}
                ready.extend(i for i in part if i.id not in failing)
                problems.extend(found)
            if problems:
                cls.kashflow_record_problems(problems)
        return ready, problems

    @classmethod
    def kashflow_record_problems(cls, problems):
        """Show the problems found by a check on each document, in place of
        what an earlier attempt left there, and log the check.

        In a transaction of its own: the caller's is rolled back by the
        error that tells the user.
        """
        Publication = Pool().get('kashflow.publication')
        with Transaction().new_transaction() as transaction, \
                without_check_access():
            for invoice, invoice_problems in problems:
                try:
                    publication = Publication.for_invoice(invoice)
                except SQLConstraintError:
                    # Another run created it at this moment: it checks too.
                    transaction.rollback()
                    continue
                publication.show_problems(invoice_problems)
            transaction.commit()

    @classmethod
    @ModelView.button
    def kashflow_retry(cls, invoices):
        "Publish again; what may have arrived in KashFlow is looked up first"
        return cls.kashflow_publish(invoices)

    @classmethod
    @ModelView.button
    def kashflow_link(cls, invoices):
        """Take the document found in KashFlow with the same reference as
        the published one: nothing is sent, and what KashFlow has stays as
        it is."""
        publications = cls.kashflow_publications(invoices)
        for invoice in invoices:
            publication = publications.get(invoice.id)
            if not (publication and publication.state == 'failed'
                    and publication.failure == 'duplicate'
                    and publication.found_number):
                raise PublishError(gettext('dext_kashflow.msg_link_not_single',
                        invoice=invoice.rec_name))
            publication.mark_linked(company_connection(invoice.company))

    @classmethod
    def kashflow_check(cls, invoices):
        "The problems of each invoice that has some, as [(invoice, [problem])]"
        problems = []
        with without_check_access():
            published = [i for i in invoices if i.kashflow_state == 'published']
            prepared = prepare_many([i for i in invoices if i not in published])
            for invoice in invoices:
                if invoice in published:
                    problems.append((invoice, [gettext(
                                    'dext_kashflow.msg_publish_already',
                                    number=invoice.kashflow_number)]))
                elif prepared[invoice.id].problems:
                    problems.append((invoice, prepared[invoice.id].problems))
        return problems

    @classmethod
    def kashflow_queue(cls, invoices):
        "Publish invoices in the background (right after this call without a worker)"
        if not invoices:
            return
        with timed('queue'):
            cls._kashflow_queue(invoices)

    @classmethod
    def _kashflow_queue(cls, invoices):
        cls.kashflow_mark_queued(invoices)
        # Without a worker the tasks run after this request, the last queued
        # first: one task keeps the documents oldest first.
        cls.kashflow_push_tasks(cls.kashflow_tasks(invoices)
            if config.getboolean('queue', 'worker', default=False)
            else [invoices])

    @classmethod
    def kashflow_queue_checked(cls, invoices):
        """Check and queue invoices for the queue workers, a few tasks at a
        time, each part committed on its own: the workers start on the
        oldest documents while the others are checked.
        Return the number queued, and [(document name, [problem])]."""
        queued, problems = 0, []
        tasks = cls.kashflow_tasks(invoices)
        tasks_per_part = max(1, SLICE_SIZE // TASK_SIZE)
        for start in range(0, len(tasks), tasks_per_part):
            part = tasks[start:start + tasks_per_part]
            with Transaction().new_transaction() as transaction:
                ready, found = cls.kashflow_checked(
                    [id_ for task in part for id_ in task])
                ready = {i.id: i for i in ready}
                with timed('queue'):
                    cls.kashflow_mark_queued(list(ready.values()))
                    cls.kashflow_push_tasks([[ready[id_] for id_ in task if id_ in ready]
                            for task in part])
                problems.extend((i.rec_name, p) for i, p in found)
                transaction.commit()
            queued += len(ready)
        return queued, problems

    @classmethod
    def kashflow_mark_queued(cls, invoices):
        "Show invoices as to be published"
        Publication = Pool().get('kashflow.publication')
        # In bulk: a write per document would reload the whole selection each time.
        with without_check_access():
            existing = cls.kashflow_publications(invoices)
            new = [i for i in invoices if i.id not in existing]
            try:
                for part in grouped_slice(new, SLICE_SIZE):
                    Publication.create_queued(list(part))
            except backend.DatabaseIntegrityError as error:
                # Another user pressed Publish on one of them at the same
                # moment: theirs goes on, nothing is sent twice. (The message
                # is read in a new transaction: this one is aborted.)
                with Transaction().new_transaction():
                    message = gettext(
                        'dext_kashflow.msg_publish_started_elsewhere')
                raise PublishError(message) from error
            Publication.requeue(list(existing.values()))

    @classmethod
    def kashflow_push_tasks(cls, tasks):
        "Queue a publishing task for each list of invoices, in their order"
        # Each increasing expected time keeps the first tasks first in the queue.
        for index, task in enumerate(t for t in tasks if t):
            with Transaction().set_context(NO_SELECTION, queue_name='kashflow',
                    queue_expected_at=dt.timedelta(microseconds=index)):
                cls.__queue__.kashflow_publish_now(task)

    @classmethod
    def kashflow_tasks(cls, invoices):
        """A bulk publish as tasks that several workers can share, as lists
        of invoice ids (see publishing/tasks.py)"""
        return plan_tasks(read_to_publish([int(i) for i in invoices]))

    @classmethod
    def kashflow_publish_now(cls, invoices):
        """Publish each invoice (run by the queue), oldest first, so that
        KashFlow's numbers follow the dates"""
        Publication = Pool().get('kashflow.publication')
        Publication.mark_taken([int(i) for i in invoices])
        with timed('task'), without_check_access(), Batch() as batch:
            ordered = sorted(browse_sliced(cls, invoices),
                key=publish_order)
            for part in browse_slices(cls, ordered):
                batch.prepare(part)
                for invoice in part:
                    run.publish(invoice, batch)
            batch.push_retries()

    @classmethod
    def kashflow_retry_due(cls):
        """Publish again what KashFlow could not take, when its retry is due,
        and what a run that died left "Publishing" (cron)"""
        Publication = Pool().get('kashflow.publication')
        publications = Publication.search(Publication.due_domain())
        if publications:
            cls.kashflow_queue(browse_sliced(
                    cls, [p.invoice.id for p in publications]))

    @classmethod
    def kashflow_publish_due(cls, invoices):
        """Publish those of invoices whose retry is due (a task the run
        scheduled for that time; the cron above is the safety net)"""
        Publication = Pool().get('kashflow.publication')
        with without_check_access():
            due = Publication.search([
                    ('invoice', 'in', [i.id for i in invoices]),
                    *Publication.due_domain(),
                    ])
        cls.kashflow_publish_now(cls.browse([p.invoice.id for p in due]))

    @classmethod
    @ModelView.button_action('dext_kashflow.wizard_clear')
    def kashflow_clear(cls, invoices):
        "Ask first, saying whether KashFlow still has the document"
        pass

    @classmethod
    def kashflow_forget(cls, invoices):
        """Forget what was published, so that the documents can be sent again.

        For an administrator who deleted the document in KashFlow, or who
        checked that a document stuck in "Publishing" never arrived there.
        """
        publications = cls.kashflow_check_not_running(invoices)
        for invoice in invoices:
            publication = publications.get(invoice.id)
            if publication:
                publication.mark_cleared()

    @classmethod
    def kashflow_check_not_running(cls, invoices):
        "Refuse to clear what a run is publishing; the publications by invoice id"
        publications = cls.kashflow_publications(invoices)
        for invoice in invoices:
            publication = publications.get(invoice.id)
            if publication and publication.claimed_at and (
                    dt.datetime.now() - publication.claimed_at < claim_timeout()):
                raise PublishError(gettext(
                        'dext_kashflow.msg_clear_running', invoice=invoice.rec_name))
        return publications

    @classmethod
    @ModelView.button_action('dext_kashflow.wizard_preview')
    def kashflow_preview(cls, invoices):
        "Open the KashFlow document as it will be sent (wizards/preview.py)"

    @classmethod
    @ModelView.button
    def kashflow_resend_files(cls, invoices):
        """Send again the files KashFlow did not confirm receiving, once the
        publisher has checked that they are missing in KashFlow"""
        publications = cls.kashflow_publications(invoices)
        now = dt.datetime.now()
        for invoice in invoices:
            publication = publications.get(invoice.id)
            if not (publication and publication.file_unconfirmed):
                raise PublishError(gettext('dext_kashflow.msg_resend_files_none',
                        invoice=invoice.rec_name))
            if publication.resend_after and publication.resend_after > now:
                raise PublishError(gettext('dext_kashflow.msg_resend_files_wait',
                        invoice=invoice.rec_name,
                        time=run.local_time(invoice.company,
                            publication.resend_after)))
        for invoice in invoices:
            run.resend_files(invoice)

    @classmethod
    @ModelView.button
    def kashflow_confirm_files(cls, invoices):
        "The publisher found the unconfirmed files in KashFlow: nothing to send"
        publications = cls.kashflow_publications(invoices)
        for invoice in invoices:
            publication = publications.get(invoice.id)
            if not (publication and publication.file_unconfirmed):
                continue
            publication.confirm_files()
