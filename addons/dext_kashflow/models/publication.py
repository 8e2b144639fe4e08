"""The publication of a document in KashFlow, and its log.

There is one publication per document, whatever happens: it is the record of
what KashFlow already has. The publisher commits its state before each call
to KashFlow, so that a crash or a lost answer is never mistaken for "not
sent": a publication left "sending" is looked up in KashFlow before anything
is sent again.
"""
import datetime as dt
import json

import trytond.config as config
from sql import Literal
from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

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
# A "sending" claim older than this is taken to have died with its worker.
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
# Waits between automatic retries of a document KashFlow could not take.
RETRY_DELAYS = [dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 240)]


def retry_delays():
    "[dext_kashflow] retry_delays (seconds, by commas), or RETRY_DELAYS"
    value = config.get('dext_kashflow', 'retry_delays', default='')
    if not value.strip():
        return RETRY_DELAYS
    return [dt.timedelta(seconds=float(s)) for s in value.split(',')]


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
    notes = fields.Text(
        "Changed for KashFlow", readonly=True,
        help="What had to be changed to fit KashFlow, e.g. a reference cut to "
        "KashFlow's length.")
    claimed_at = fields.DateTime("Claimed At", readonly=True)
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
            for name in ['warning', 'notes']]

    def get_rec_name(self, name):
        return self.invoice.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('invoice.rec_name', *clause[1:])]

    @classmethod
    def default_attempts(cls):
        return 0

    # The publisher runs in a transaction of its own and commits after each
    # step (see publisher.py); these methods write in the current transaction.

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

    def set(self, **values):
        "Write values on this publication"
        cls = self.__class__
        with without_check_access():
            cls.write([cls(self.id)], values)
        for name, value in values.items():
            setattr(self, name, value)

    @classmethod
    def cleared_values(cls):
        "What clearing forgets; the KashFlow partner, which still exists, stays"
        return {
            'state': 'cleared', 'failure': None, 'message': None, 'hint': None,
            'kashflow_number': None, 'kashflow_id': None,
            'found_number': None, 'found_id': None,
            'document_sent_at': None, 'published_at': None,
            'payment_id': None, 'payment_sent': False,
            'attachment_ids': None, 'attachment_sent': False,
            'credit_applied': False, 'credit_sent': False,
            'next_attempt': None, 'claimed_at': None, 'resend_after': None,
            'file_unconfirmed': False, 'warning': None, 'notes': None,
            }

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
                        | (table.claimed_at < now - CLAIM_TIMEOUT))))
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
        return [['OR', [
                    ('state', 'in', ['failed', 'sending']),
                    ('failure', 'in', ['unavailable', 'unclear']),
                    ('next_attempt', '<=', now),
                    ], [
                    # Held back while KashFlow asked us to slow down (pace.py).
                    ('state', '=', 'queued'),
                    ('next_attempt', '<=', now),
                    ], [
                    ('state', '=', 'sending'),
                    ('claimed_at', '<', now - CLAIM_TIMEOUT),
                    ]]]

    def retry_delay(self):
        delays = retry_delays()
        return delays[min(max((self.attempts or 1) - 1, 0), len(delays) - 1)]

    def add_log(self, action, outcome, sent=None, received=None):
        "Record one call to KashFlow (or one decision)"
        Log = Pool().get('kashflow.publication.log')
        with without_check_access():
            Log.create([{
                        'publication': self.id,
                        'invoice': self.invoice.id,
                        'action': action,
                        'outcome': outcome,
                        'sent': to_text(sent),
                        'received': to_text(received),
                        }])


def to_text(value):
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, indent=1, default=str, ensure_ascii=False)


class PublicationLog(ModelSQL, ModelView):
    __name__ = 'kashflow.publication.log'
    __string__ = "KashFlow Publication Log"

    publication = fields.Many2One(
        'kashflow.publication', "Publication", required=True, readonly=True,
        ondelete='CASCADE')
    invoice = fields.Many2One(
        'account.invoice', "Document", required=True, readonly=True,
        ondelete='CASCADE')
    date = fields.Function(fields.DateTime("Date"), 'get_date')
    user = fields.Function(
        fields.Many2One('res.user', "User"), 'get_user')
    action = fields.Selection([
            ('check', "Check"),
            ('create_partner', "Create Supplier or Customer"),
            ('lookup', "Look Up"),
            ('duplicates', "Look for Duplicates"),
            ('send', "Send Document"),
            ('payment', "Send Payment"),
            ('attachment', "Send File"),
            ('credit', "Apply Credit Note"),
            ('clear', "Clear Publication"),
            ('link', "Link to KashFlow Document"),
            ], "Action", readonly=True)
    outcome = fields.Selection([
            ('ok', "Done"),
            ('error', "Error"),
            ('unclear', "Unknown"),
            ('skipped', "Skipped"),
            ], "Outcome", readonly=True)
    sent = fields.Text("Sent", readonly=True)
    received = fields.Text("Received", readonly=True)
    company = fields.Function(
        fields.Many2One('company.company', "Company"), 'get_company',
        searcher='search_company')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('id', 'DESC'))
        cls.__access__.add('publication')

    def get_date(self, name):
        return self.create_date.replace(microsecond=0)

    def get_user(self, name):
        return self.create_uid.id

    def get_company(self, name):
        return self.publication.company.id

    @classmethod
    def search_company(cls, name, clause):
        return [('publication.company' + clause[0][len(name):], *clause[1:])]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('outcome').in_(['error', 'unclear']), 'danger', '')),
            ]
