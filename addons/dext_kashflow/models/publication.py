"""The publication of a document in KashFlow: the one owner of its state.

There is one publication per document, whatever happens: it is the record of
what KashFlow already has. The run (publishing/run.py) commits its state
before each write to KashFlow, so that a crash or a lost answer is never mistaken for "not
sent": a publication left "sending" is looked up in KashFlow before anything
is sent again.
"""
import datetime as dt
import logging

import trytond.config as config
from sql import Column, Literal
from sql.functions import CurrentTimestamp
from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .publication_log import to_text

logger = logging.getLogger(__name__)

STATES = [
    ('queued', "To Publish"),
    ('sending', "Publishing"),
    ('published', "Published"),
    ('failed', "Failed"),
    ('cleared', "Cleared"),
    ]
# Why a publication failed, for the hint and for what retries it.
FAILURES = [
    (None, ""),
    ('invalid', "Needs Changes"),       # our validation: nothing was sent
    ('refused', "Refused by KashFlow"),  # Status NO: fix, then retry
    ('connection', "Connection Expired"),
    ('unavailable', "KashFlow Unavailable"),  # retried automatically
    ('unclear', "Outcome Unknown"),     # looked up before anything is resent
    ('duplicate', "Already in KashFlow"),  # same reference found: nothing sent
    ('setup', "Connection Settings"),   # the connection cannot work as set up
    ]
# How a file stands in attachment_ids, one entry per file: not sent, sent
# without an answer, found in KashFlow by the publisher, or else KashFlow's id
# of the file.
NOT_SENT, UNCONFIRMED, CHECKED = '', '?', '!'
# A "sending" claim older than this is taken to have died with its worker,
# as is a queued document whose task a worker took that long ago.
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
# Waits between automatic retries of a document KashFlow could not take.
RETRY_DELAYS = [dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 240)]


def file_ids(text, count):
    "The entries of attachment_ids for count files"
    ids = text.split(',') if text else []
    return (ids + [NOT_SENT] * count)[:count]


def retry_delays():
    "[dext_kashflow] retry_delays (seconds, by commas), or RETRY_DELAYS"
    value = config.get('dext_kashflow', 'retry_delays', default='')
    if not value.strip():
        return RETRY_DELAYS
    return [dt.timedelta(seconds=float(s)) for s in value.split(',')]


def claim_timeout():
    "[dext_kashflow] claim_timeout (seconds), or CLAIM_TIMEOUT"
    seconds = config.getfloat('dext_kashflow', 'claim_timeout', default=None)
    return dt.timedelta(seconds=seconds) if seconds else CLAIM_TIMEOUT


def late_write_margin():
    """How long after our timeout KashFlow may still apply a write it was
    sent ([dext_kashflow] late_write_margin, seconds). KashFlow runs on
    ASP.NET, whose requests run for up to 110 seconds by default."""
    return dt.timedelta(seconds=config.getfloat(
            'dext_kashflow', 'late_write_margin', default=120))


class Publication(ModelSQL, ModelView):
    __name__ = 'kashflow.publication'
    __string__ = "KashFlow Publication"

    invoice = fields.Many2One(
        'account.invoice', "Document", required=True, readonly=True,
        ondelete='RESTRICT')
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    connection = fields.Many2One(
        'kashflow.connection', "Connection", readonly=True,
        ondelete='RESTRICT')
    kind = fields.Selection([
            ('receipt', "Purchase Invoice"),
            ('invoice', "Sales Invoice"),
            ], "Destination", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    failure = fields.Selection(FAILURES, "Failure", readonly=True)
    message = fields.Text("Message", readonly=True)
    hint = fields.Text("How to Fix", readonly=True)
    reference = fields.Char("Reference Sent", readonly=True)
    kashflow_partner_id = fields.Integer("KashFlow Partner ID", readonly=True)
    partner_sent = fields.Boolean("Partner Sent", readonly=True)
    kashflow_number = fields.Integer("KashFlow Number", readonly=True)
    found_number = fields.Integer(
        "Found in KashFlow", readonly=True,
        help="The KashFlow document with the same reference, found before "
        "sending.")
    found_id = fields.Integer("Found KashFlow ID", readonly=True)
    kashflow_id = fields.Integer("KashFlow ID", readonly=True)
    document_sent_at = fields.DateTime("Sent At", readonly=True)
    published_at = fields.DateTime("Published At", readonly=True)
    payment_id = fields.Integer("KashFlow Payment", readonly=True)
    payment_sent = fields.Boolean("Payment Sent", readonly=True)
    attachment_ids = fields.Char("KashFlow Files", readonly=True)
    attachment_sent = fields.Boolean("File Sent", readonly=True)
    credit_applied = fields.Boolean("Credit Applied", readonly=True)
    credit_sent = fields.Boolean("Credit Sent", readonly=True)
    resend_after = fields.DateTime(
        "Not Sent Again Before", readonly=True,
        help="A write whose outcome is unknown may still land in KashFlow "
        "until then: until then nothing is sent again, only looked for.")
    file_unconfirmed = fields.Boolean(
        "File Not Confirmed", readonly=True,
        help="A file was sent to KashFlow without an answer: it may be missing "
        "there.")
    warning = fields.Text("Warning", readonly=True)
    amounts_warning = fields.Text(
        "Amounts in KashFlow", readonly=True,
        help="Where KashFlow's figures for the document, read back after "
        "publishing, are not the ERP's.")
    notes = fields.Text(
        "Changed for KashFlow", readonly=True,
        help="What had to be changed to fit KashFlow, e.g. a reference cut to "
        "KashFlow's length.")
    claimed_at = fields.DateTime("Claimed At", readonly=True)
    taken_at = fields.DateTime(
        "Taken At", readonly=True,
        help="When a worker took the task that publishes it.")
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
    logs = fields.One2Many(
        'kashflow.publication.log', 'publication', "Log", readonly=True,
        order=[('id', 'DESC')])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('invoice_unique', Unique(t, t.invoice),
                'dext_kashflow.msg_publication_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    where=t.state.in_(['sending', 'failed', 'queued'])),
                })
        cls._order.insert(0, ('id', 'DESC'))

    @classmethod
    def default_state(cls):
        return 'queued'

    @classmethod
    def view_attributes(cls):
        # The texts show only when they say something.
        return super().view_attributes() + [
            (f'/form//separator[@name="{name}"]', 'states', {
                    'invisible': ~Eval(name)})
            for name in ['warning', 'amounts_warning', 'notes']]

    def get_rec_name(self, name):
        return self.invoice.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('invoice.rec_name', *clause[1:])]

    @classmethod
    def default_attempts(cls):
        return 0

    # Its state is written here only, by the transitions below, each named
    # for what happened. They change the record in memory; the run (see
    # publishing/run.py) saves it and commits at the points that make a
    # publication exactly once, and the buttons' transactions save it with
    # theirs.

    @classmethod
    def for_invoice(cls, invoice):
        "The publication of invoice, created when missing"
        with without_check_access():
            publications = cls.search([('invoice', '=', invoice.id)], limit=1)
            if publications:
                return publications[0]
            publication, = cls.create([cls.values_for(invoice)])
        return publication

    @classmethod
    def values_for(cls, invoice):
        "The values of a new publication of invoice"
        return {
            'invoice': invoice.id,
            'company': invoice.company.id,
            'kind': 'receipt' if invoice.type == 'in' else 'invoice',
            }

    @classmethod
    def create_queued(cls, invoices):
        """New publications "To Publish" for invoices, in one INSERT: a bulk
        publish makes thousands at a month end.

        create() would check the values and read each row back; these come
        from values_for() and the defaults only, so the INSERT alone is
        written, with who and when, and trytond's caches are told as
        create() tells them. A publication made for one of them at the
        same moment raises backend.DatabaseIntegrityError (one per
        invoice)."""
        if not invoices:
            return
        transaction = Transaction()
        table = cls.__table__()
        values = [{**cls.values_for(i), 'state': cls.default_state(),
                'attempts': cls.default_attempts()} for i in invoices]
        names = sorted(values[0])
        transaction.connection.cursor().execute(*table.insert(
                [table.create_uid, table.create_date,
                    *(Column(table, n) for n in names)],
                [[transaction.user, CurrentTimestamp(),
                        *(cls._fields[n].sql_format(v[n]) for n in names)]
                    for v in values]))
        transaction.counter += 1
        cls._count_cache.set(cls.__name__, None)

    def _set(self, **values):
        for name, value in values.items():
            setattr(self, name, value)

    @classmethod
    def save(cls, publications):
        with without_check_access():
            super().save(publications)

    def flush(self):
        """Write what the transitions changed, in one UPDATE: the run's
        (publishing/run.py) way to save, once or twice per document.

        write() would check the values and read the row back; these values
        come from the transitions above only, and the row is the run's own
        (it holds the claim), so the UPDATE alone is written, with who and
        when, and trytond's caches are told as write() tells them."""
        values = self._save_values()
        if not values:
            return
        transaction = Transaction()
        table = self.__table__()
        columns = [Column(table, name) for name in values]
        sql_values = [self._fields[name].sql_format(value)
            for name, value in values.items()]
        transaction.connection.cursor().execute(*table.update(
                [*columns, table.write_uid, table.write_date],
                [*sql_values, transaction.user, CurrentTimestamp()],
                where=table.id == self.id))
        transaction.counter += 1

    @classmethod
    def requeue(cls, publications):
        """Publish again those that failed or were cleared, or whose task
        died with its worker, and no run holds"""
        publications = [p for p in publications if not p.claimed_at and (
                p.state in {'cleared', 'failed'}
                or (p.state == 'queued' and p.taken_at))]
        for publication in publications:
            publication._set(state='queued', next_attempt=None, taken_at=None)
        cls.save(publications)

    @classmethod
    def mark_taken(cls, invoice_ids):
        """A worker took the task that publishes these invoices: those still
        "To Publish" are published again if it dies before their turn (the
        queue does not run a task twice), once the claim timeout has passed.
        Committed at once, in a transaction of its own, so that it outlives
        the task; best effort: another task holding the same rows has
        stamped them."""
        if not invoice_ids:
            return
        table = cls.__table__()
        transaction = Transaction()
        try:
            with transaction.new_transaction() as stamp:
                cursor = stamp.connection.cursor()
                for part in grouped_slice(invoice_ids):
                    cursor.execute(*table.update(
                            [table.taken_at], [CurrentTimestamp()],
                            where=table.invoice.in_(list(part))
                            & (table.state == 'queued')))
                stamp.commit()
        except backend.DatabaseOperationalError:
            logger.info("publications %s: taken by another task too",
                invoice_ids[:5])

    def show_problems(self, problems):
        """The problems a check found, in place of what an earlier attempt
        left; nothing changes on what KashFlow may already have"""
        if self.state == 'published':
            return
        self.add_log('check', 'error', received=problems)
        if self.state == 'sending':
            # It may be in KashFlow: what it shows stays until a look in
            # KashFlow settles it.
            return
        self._set(state='failed', failure='invalid',
            message='\n'.join(problems),
            hint=gettext('dext_kashflow.msg_hint_invalid'), next_attempt=None)
        self.save([self])

    def claim(self, now=None):
        """Take this publication for one run; False when another run has it.

        One conditional UPDATE decides: of two runs at the same time, only
        one can set the claim. The caller commits; under PostgreSQL's snapshot
        isolation the other run's UPDATE fails instead of finding the row
        claimed, and its transaction is rolled back (claim first, then work).
        """
        now = now or dt.datetime.now()
        table = self.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        try:
            cursor.execute(*table.update(
                    [table.claimed_at, table.attempts],
                    [now, table.attempts + Literal(1)],
                    where=(table.id == self.id)
                    & ((table.claimed_at == None)  # noqa: E711
                        | (table.claimed_at < now - claim_timeout()))))
        except backend.DatabaseOperationalError:
            # Another transaction changed the row since ours began: it is
            # claiming (or running) this publication.
            transaction.rollback()
            return False
        if cursor.rowcount != 1:
            return False
        self.claimed_at = now
        self.attempts = (self.attempts or 0) + 1
        return True

    @classmethod
    def due_domain(cls, now=None):
        """The publications to publish again now: their retry is due, or the
        run that claimed them died (its claim lapsed), and the next run looks
        in KashFlow for what it may have sent before sending anything"""
        now = now or dt.datetime.now()
        timeout = claim_timeout()
        return [['OR', [
                    ('state', 'in', ['failed', 'sending']),
                    ('failure', 'in', ['unavailable', 'unclear']),
                    ('next_attempt', '<=', now),
                    ], [
                    # Held back while KashFlow asked us to slow down (publishing/pace.py).
                    ('state', '=', 'queued'),
                    ('next_attempt', '<=', now),
                    ], [
                    ('state', '=', 'sending'),
                    ('claimed_at', '<', now - timeout),
                    ], [
                    # Its task died with the worker that took it.
                    ('state', '=', 'queued'),
                    ('taken_at', '<', now - timeout),
                    ]]]

    def retry_delay(self):
        delays = retry_delays()
        return delays[min(max((self.attempts or 1) - 1, 0), len(delays) - 1)]

    # The steps of a run: each write is marked sent before its call to
    # KashFlow, and what KashFlow answered is kept right after.

    def mark_partner_sent(self):
        self._set(partner_sent=True)

    def mark_partner(self, partner_id):
        self._set(kashflow_partner_id=partner_id)

    def mark_sending(self, kind, reference, notes, connection):
        "The document is about to be sent"
        self._set(state='sending', document_sent_at=dt.datetime.now(),
            kind=kind, reference=reference, notes=notes,
            connection=connection.id)

    def mark_document(self, number, db_id=None):
        "KashFlow has the document: its number (and id when it was looked up)"
        values = {'kashflow_number': number}
        if db_id is not None:
            values['kashflow_id'] = db_id
        self._set(**values)

    def mark_payment_sent(self):
        self._set(payment_sent=True)

    def mark_payment(self, payment_id):
        "-1: found paid in KashFlow, the payment's id not known"
        self._set(payment_id=payment_id)

    def mark_files(self, attachment_ids):
        "Where each file stands, one entry per file (see file_ids)"
        self._set(attachment_ids=attachment_ids)

    def mark_files_done(self, unconfirmed, warning):
        self._set(file_unconfirmed=unconfirmed, warning=warning)

    def mark_compared(self, warning):
        "KashFlow's figures were read back: warning says where they differ"
        self._set(amounts_warning=warning)

    def mark_credit_sent(self):
        self._set(credit_sent=True)

    def mark_credit_applied(self):
        self._set(credit_applied=True)

    def mark_unclear(self, resend_after):
        "A write got no clear answer: nothing is sent again before resend_after"
        self._set(resend_after=resend_after)

    def mark_not_applied(self, step, attachment_ids=None):
        "KashFlow surely did not apply step's write: take its sent mark back"
        self._set(**{
                'partner': {'partner_sent': False},
                # (A payment sent with its document is not applied either.)
                'document': {'document_sent_at': None, 'payment_sent': False},
                'payment': {'payment_sent': False},
                'credit': {'credit_sent': False},
                'attachment': {'attachment_ids': attachment_ids},
                }[step])

    def mark_published(self):
        values = {}
        if self.state != 'published':
            # Sending the files again keeps the date it was published.
            values['published_at'] = dt.datetime.now()
        self._set(state='published', failure=None, message=None, hint=None,
            next_attempt=None, claimed_at=None,
            # An unconfirmed file may still land until then.
            resend_after=self.resend_after if self.file_unconfirmed else None,
            **values)

    def mark_failed(self, failure, message, hint, next_attempt=None,
            found=None):
        """The run stops: failure says why (an unclear outcome stays
        "sending": it may be in KashFlow). found: the single document with
        the same reference KashFlow has, as (number, id)."""
        self._set(state='failed' if failure != 'unclear' else 'sending',
            failure=failure, message=message, hint=hint, claimed_at=None,
            next_attempt=next_attempt)
        if failure == 'duplicate':
            number, id_ = found or (None, None)
            self._set(found_number=number, found_id=id_)

    def mark_paused(self, until, message):
        """KashFlow asked every run on the connection to slow down: nothing
        was sent, and the document is published again when the pause ends.
        One that may be in KashFlow stays "sending" and is looked up first;
        any other waits "To Publish"."""
        if self.state == 'sending':
            self._set(failure=self.failure or 'unclear')
        else:
            self._set(state='queued', failure=None, hint=None, taken_at=None)
        self._set(message=message, next_attempt=until, claimed_at=None)

    def mark_crashed(self):
        "A bug, not KashFlow, stopped the run"
        self.mark_failed('refused', gettext('dext_kashflow.msg_publish_crashed'),
            gettext('dext_kashflow.msg_hint_crashed'),
            next_attempt=self.next_attempt)

    # What people do -----------------------------------------------------

    def mark_linked(self, connection):
        "Take the document found in KashFlow with the same reference"
        self.add_log('link', 'ok', sent={'kashflow_number': self.found_number})
        self._set(state='published', failure=None, message=None, hint=None,
            next_attempt=None, kashflow_number=self.found_number,
            kashflow_id=self.found_id, connection=connection.id,
            published_at=dt.datetime.now())
        self.save([self])

    def mark_cleared(self):
        "Forget what was published; the KashFlow partner, which still exists, stays"
        self.add_log('clear', 'ok', sent={'kashflow_number': self.kashflow_number})
        self._set(
            state='cleared', failure=None, message=None, hint=None,
            kashflow_number=None, kashflow_id=None,
            found_number=None, found_id=None,
            document_sent_at=None, published_at=None,
            payment_id=None, payment_sent=False,
            attachment_ids=None, attachment_sent=False,
            credit_applied=False, credit_sent=False,
            next_attempt=None, claimed_at=None, resend_after=None,
            file_unconfirmed=False, warning=None, amounts_warning=None,
            notes=None)
        self.save([self])

    def confirm_files(self):
        "The publisher found the unconfirmed files in KashFlow"
        self.add_log('attachment', 'ok', received=gettext(
                'dext_kashflow.msg_files_confirmed_by_user'))
        self._set(file_unconfirmed=False, warning=None,
            attachment_ids=self.attachment_ids.replace(UNCONFIRMED, CHECKED))
        self.save([self])

    def add_log(self, action, outcome, sent=None, received=None):
        "Record one call to KashFlow (or one decision)"
        Log = Pool().get('kashflow.publication.log')
        Log.append(self.id, {
                'action': action,
                'outcome': outcome,
                'sent': to_text(sent),
                'received': to_text(received),
                })
