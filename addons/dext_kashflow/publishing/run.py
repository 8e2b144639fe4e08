"""Publishing one document to KashFlow, exactly once.

KashFlow has no idempotency key, so the publication record stands in for
one. Every step that writes in KashFlow (the partner, the document with its
lines, the payment, the file, the credit note's application) is marked
"sent" and committed before the call; its result, and the log, are committed
with the next step's mark or when the run ends. So a run commits twice for a
document without payment or file: the claim with the "sending" mark, then the
number with "published". When a call ends without a clear answer, or the run
dies before its result is committed, the step stays "sent": the next run
looks in KashFlow for what it may have created before sending anything
again. Status NO from KashFlow stops the run and shows the reason; KashFlow
being unreachable schedules a retry.

The runs of one queue task share a Batch (batch.py).
"""
import datetime as dt
import logging
from contextlib import nullcontext
from dataclasses import asdict

from trytond.i18n import gettext
from trytond.model.exceptions import SQLConstraintError
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

from kashflow.errors import KashFlowError, RateLimitedError, UnclearOutcomeError
from kashflow.models import Payment

from ..exceptions import SecretKeyError
from ..models.connection import timeout
from ..models.publication import (
    CHECKED,
    NOT_SENT,
    UNCONFIRMED,
    file_ids,
    late_write_margin,
)
from . import pace, readback
from .batch import schedule_retry
from .known_documents import KnownDocuments
from .outcomes import publication_outcome
from .prepare import company_connection, invoice_files, prepare, totals
from .sides import SIDES, call
from .timing import timed

logger = logging.getLogger(__name__)


class Stop(Exception):
    "This run cannot go further; the publication says why"


def publish(invoice, batch=None, interactive=False):
    """Publish invoice unless it is published; the outcome is on its publication.

    It runs in a transaction of its own, committed before each write to
    KashFlow and at its end, so that what KashFlow was sent is on record
    before the call, whatever happens to the caller's transaction. batch:
    what the runs of one task share. interactive: a person is waiting, so
    each call is tried once (the cron retries).
    """
    return _run(invoice, batch, interactive, files_only=False)


def resend_files(invoice):
    """Send again the files of a published document that KashFlow did not
    confirm (the publisher checked that they are missing there)."""
    return _run(invoice, None, True, files_only=True)


def _run(invoice, batch, interactive, files_only):
    # The transaction commits as it ends, unless the run crashed.
    with timed('publish'), Transaction().new_transaction() as transaction, \
            without_check_access():
        Invoice = Pool().get('account.invoice')
        # A task's invoice was read with its batch, which lives as long as
        # the run: the run's own transaction does not read it again.
        run = Run(invoice if batch else Invoice(invoice.id), transaction, batch)
        run.start(interactive=interactive, files_only=files_only)
        return run.publication.state


def checkpoint(publication):
    "Save the publication and commit everything done so far"
    publication.flush()
    Transaction().commit()


def fail(publication, failure, message, hint, retry=False, next_attempt=None,
        found=None, batch=None):
    if retry and not next_attempt:
        next_attempt = dt.datetime.now() + publication.retry_delay()
    if next_attempt:
        schedule_retry(publication, next_attempt, batch)
    publication.mark_failed(failure, message, hint, next_attempt=next_attempt,
        found=found)
    publication.flush()  # committed as the run's transaction ends
    raise Stop


class Run:
    "One attempt at a publication, step by step"

    def __init__(self, invoice, transaction, batch=None):
        Publication = Pool().get('kashflow.publication')
        self.invoice = invoice
        self.batch = batch
        self.known = batch.known if batch else KnownDocuments()
        publication_id = batch.publications.get(invoice.id) if batch else None
        try:
            self.publication = (Publication(publication_id) if publication_id
                else Publication.for_invoice(invoice))
        except SQLConstraintError:
            # Another run created it at the same moment: take theirs (the
            # claim decides which run goes on).
            transaction.rollback()
            self.publication = Publication.for_invoice(invoice)
        self.side = SIDES[self.publication.kind]
        self.connection = None
        self.prepared = None
        self.client = None

    def start(self, interactive=False, files_only=False):
        publication, invoice = self.publication, self.invoice
        if (publication.state == 'published') != files_only:
            return
        # The claim is committed with the first mark before a write to
        # KashFlow (or the failure): a second run waits on the row, then is
        # told no.
        if not publication.claim():
            logger.info("KashFlow publication %s is already running", publication.id)
            return
        try:
            self.connection = ((self.batch and self.batch.connection(invoice.company))
                or company_connection(invoice.company))
            if not interactive:
                self.wait_for_pace()
            if not files_only:
                self.prepare()
            with self.open_client(interactive) as client:
                self.client = client
                if files_only:
                    self.attachments(invoice_files(invoice), resend=True)
                else:
                    self.partner()
                    self.document()
                    self.payment()
                    self.attachments(self.prepared.attachments)
                    self.credit()
                    self.compare_with_kashflow()
            publication.mark_published()
            publication.flush()  # committed as the transaction ends
        except Stop:
            pass
        except Exception:
            # A bug, not KashFlow: free the publication and show that it failed.
            logger.exception(
                "Publishing invoice %s to KashFlow crashed", invoice.id)
            Transaction().rollback()
            publication = publication.__class__(publication.id)
            publication.mark_crashed()
            checkpoint(publication)
            raise

    def fail(self, *args, **kwargs):
        "Show the failure on the publication, its retry in the batch, and stop"
        fail(self.publication, *args, batch=self.batch, **kwargs)

    def wait_for_pace(self):
        "Send nothing while KashFlow asked any run on this connection to slow down"
        until = pace.paused_until(self.connection)
        if until:
            schedule_retry(self.publication, until, self.batch)
            self.publication.mark_paused(until, gettext('dext_kashflow.msg_paused',
                    time=local_time(self.invoice.company, until)))
            self.publication.flush()  # committed as the run's transaction ends
            raise Stop

    def open_client(self, interactive):
        "The connection's client; stop when its password cannot be read here"
        try:
            if (self.batch and not interactive
                    and self.batch.connection(self.invoice.company)):
                # The batch closes it.
                return nullcontext(self.batch.client(self.connection))
            return self.connection.client(interactive=interactive)
        except SecretKeyError as error:
            # Encrypted with a key this server no longer has: nothing was sent.
            self.fail('setup', error.message,
                gettext('dext_kashflow.msg_hint_reconnect'))

    # Steps --------------------------------------------------------------

    def prepare(self):
        "The document to send, or stop on what must be fixed first"
        if self.batch:
            self.prepared = self.batch.take_prepared(self.invoice)
        if not self.prepared:
            with timed('prepare'):
                self.prepared = prepare(self.invoice, self.connection)
        problems = self.prepared.problems
        if problems:
            self.publication.add_log('check', 'error', received=problems)
            self.fail('invalid', '\n'.join(problems),
                gettext('dext_kashflow.msg_hint_invalid'))

    def partner(self):
        "Create the KashFlow supplier or customer when the rule allows it"
        prepared, publication = self.prepared, self.publication
        if prepared.partner:
            prepared.document.party_id = prepared.partner.kashflow_id
            return
        if publication.kashflow_partner_id:
            prepared.document.party_id = publication.kashflow_partner_id
            return
        new = prepared.new_partner
        found = None
        if publication.partner_sent:
            # An earlier run may have created it without hearing back.
            found = self.call('lookup', self._find_partner, new)
            if not found:
                self.wait_for_late_write()
        if found:
            partner_id = found.id
        else:
            publication.mark_partner_sent()
            checkpoint(publication)
            partner_id = self.call('create_partner', self._kashflow,
                'insert_partner', new, sent=asdict(new), unapplied='partner')
        new.id = partner_id
        publication.mark_partner(partner_id)
        self._store_partner(new)
        prepared.document.party_id = partner_id

    def document(self):
        publication, prepared = self.publication, self.prepared
        if publication.kashflow_number:
            return
        document = prepared.document
        if publication.document_sent_at:
            # An earlier run sent it and heard nothing back: look before resending.
            found = self.call('lookup', self._find_document, document)
            if found:
                publication.mark_document(found.number, found.db_id)
                return
            self.wait_for_late_write()
        elif prepared.partner and not self.invoice.kashflow_allow_duplicate:
            # (A partner this run created has no documents yet.)
            self.check_not_in_kashflow(document)
        notes = '\n'.join(prepared.notes) or None
        if notes:
            publication.add_log('check', 'ok', received=notes)
        publication.mark_sending(prepared.kind, document.reference, notes,
            self.connection)
        # Over REST the payment rides with the document: one call, and the
        # payment step finds it done (or, after a lost answer, looks).
        payment = (self.payment_to_send()
            if self.client.pays_with_document else None)
        sent, with_payment = asdict(document), []
        if payment:
            publication.mark_payment_sent()
            sent['payment'], with_payment = asdict(payment), [payment]
        checkpoint(publication)
        number = self.call('send', self._kashflow, 'insert_document', document,
            *with_payment, sent=sent, unapplied='document')
        publication.mark_document(number)
        if payment:
            publication.mark_payment(-1)
        self.known.add(self.connection.id, prepared.kind, document.party_id,
            document.reference, number)

    def check_not_in_kashflow(self, document):
        """Stop before sending when the partner already has a document with
        this reference in KashFlow: typed in by hand, sent by another app,
        or published before its publication was cleared."""
        if not document.reference.strip():
            return
        found = self.known.find(self.connection.id, self.prepared.kind,
            document.party_id, document.reference,
            lambda: self.call('duplicates', self._partner_documents,
                document.party_id, log_ok=False))
        if not found:
            return
        self.publication.add_log('duplicates', 'error', received={
                'found': [d.number for d in found]})
        single = found[0] if len(found) == 1 else None
        self.fail('duplicate', gettext(
                'dext_kashflow.msg_publish_duplicate',
                party=self.invoice.party.rec_name, reference=document.reference,
                numbers=', '.join(str(d.number) for d in found)),
            gettext('dext_kashflow.msg_hint_duplicate'),
            found=(single.number, single.db_id) if single else None)

    def payment_to_send(self):
        "The payment of the document's plan, None when it has none or it is sent"
        plan, publication = self.prepared.payment, self.publication
        if not plan or publication.payment_id:
            return None
        return Payment(document_number=publication.kashflow_number or 0,
            date=plan.date, amount=plan.amount, method_id=plan.method_id,
            bank_account_id=plan.bank_account_id,
            note=gettext('dext_kashflow.msg_payment_note'))

    def payment(self):
        plan, publication = self.prepared.payment, self.publication
        payment = self.payment_to_send()
        if not payment:
            return
        if publication.payment_sent:
            document = self.call('lookup', self._get_document)
            if document.amount_paid >= plan.amount:
                publication.mark_payment(-1)
                return
            self.wait_for_late_write()
        publication.mark_payment_sent()
        checkpoint(publication)
        payment_id = self.call('payment', self._kashflow, 'insert_payment',
            payment, sent=asdict(payment), unapplied='payment')
        publication.mark_payment(payment_id)

    def attachments(self, files, resend=False):
        """Send the document's files, one by one.

        KashFlow's API cannot list a purchase's files, so a file sent without
        an answer is never sent again blindly: the document is published
        with a warning, and the publisher, having checked KashFlow, may send
        the unconfirmed files again (resend)."""
        publication = self.publication
        if not files:
            publication.mark_files_done(False, None)
            return
        ids = file_ids(publication.attachment_ids, len(files))
        to_send = {NOT_SENT, UNCONFIRMED} if resend else {NOT_SENT}
        if resend and UNCONFIRMED in ids:
            self.confirm_files_held(files, ids)
        for index, attachment in enumerate(files):
            if ids[index] not in to_send:
                continue
            unsent = ','.join(ids)
            ids[index] = UNCONFIRMED
            publication.mark_files(','.join(ids))
            checkpoint(publication)
            file_id = self.call('attachment',
                getattr(self.client, self.side.attach_file),
                publication.kashflow_number, attachment,
                sent={'filename': attachment.filename,
                    'content_type': attachment.content_type,
                    'size': len(attachment.content)},
                unapplied='attachment', unsent=unsent, unclear_ok=True)
            if file_id is not None:
                ids[index] = str(file_id)
                publication.mark_files(','.join(ids))
        unconfirmed = [f.filename for f, i in zip(files, ids, strict=True)
            if i == UNCONFIRMED]
        warning = None
        if unconfirmed:
            warning = gettext('dext_kashflow.msg_file_unconfirmed'
                if len(unconfirmed) == 1 else 'dext_kashflow.msg_files_unconfirmed',
                files=', '.join(unconfirmed))
        publication.mark_files_done(bool(unconfirmed), warning)

    def confirm_files_held(self, files, ids):
        """Over REST, before sending again the files sent without an answer,
        look at the document's files in KashFlow: one that did land is not
        sent twice. (SOAP cannot list them: the publisher looked.)"""
        if not hasattr(self.client, self.side.list_files):
            return
        held = set(self.call('lookup', self._kashflow, 'list_files',
                self.publication.kashflow_number))
        for index, attachment in enumerate(files):
            if ids[index] == UNCONFIRMED and attachment.filename in held:
                ids[index] = CHECKED
                self.publication.add_log('attachment', 'ok', received=gettext(
                        'dext_kashflow.msg_file_found_in_kashflow',
                        file=attachment.filename))
        self.publication.mark_files(','.join(ids))

    def credit(self):
        "Apply a customer credit note to the invoice it credits, if published"
        credited, publication = self.prepared.credited, self.publication
        if not credited or publication.credit_applied:
            return
        Publication = Pool().get('kashflow.publication')
        with without_check_access():
            originals = Publication.search([
                    ('invoice', '=', credited.id),
                    ('state', '=', 'published'),
                    ('kashflow_number', '!=', None),
                    ], limit=1)
        if not originals:
            publication.add_log('credit', 'skipped', received=gettext(
                    'dext_kashflow.msg_credit_original_not_published',
                    invoice=credited.rec_name))
            publication.mark_credit_applied()
            return
        original = self.call('lookup', self.client.get_invoice,
            originals[0].kashflow_number)
        credit_note = self._get_document()
        if publication.credit_sent:
            if credit_note.amount_paid:
                publication.mark_credit_applied()
                return
            self.wait_for_late_write()
        publication.mark_credit_sent()
        checkpoint(publication)
        self.call('credit', self.client.apply_credit_note, original.db_id,
            credit_note.db_id, sent={'invoice': original.number,
                'credit_note': credit_note.number},
            unapplied='credit')
        publication.mark_credit_applied()

    def compare_with_kashflow(self):
        """Read the document back once its last write is done, and warn where
        KashFlow's figures are not the ERP's. The document is published
        either way: a read that fails leaves a warning, never a failure."""
        publication, invoice = self.publication, self.invoice
        if not self.connection.compare_after_publishing:
            return
        ours = readback.expected(invoice, self.prepared.document)
        try:
            document = self._get_document()
        except KashFlowError as error:
            publication.add_log('compare', 'error', received=str(error))
            publication.mark_compared(gettext('dext_kashflow.msg_held_not_read'))
            return
        theirs = readback.held(document, ours.foreign)
        warning = readback.differences(ours, theirs, invoice.currency.code,
            invoice.company.currency.code)
        publication.add_log('compare', 'differs' if warning else 'ok',
            received={'kashflow': theirs.as_log(), 'tryton': ours.as_log()})
        publication.mark_compared(warning)

    def wait_for_late_write(self):
        """After a write without an answer, nothing is sent again while it
        may still land in KashFlow: the lookup found nothing yet, so try
        again once it can no longer land."""
        until = self.publication.resend_after
        if until and dt.datetime.now() < until:
            self.fail('unclear', gettext(
                    'dext_kashflow.msg_failure_not_found_yet',
                    time=local_time(self.invoice.company, until)),
                gettext('dext_kashflow.msg_hint_not_found_yet'),
                next_attempt=until)

    # KashFlow calls -----------------------------------------------------

    def call(self, action, method, *args, sent=None, log_ok=True,
            unapplied=None, unsent=None, unclear_ok=False):
        """Call KashFlow, log the call, and turn a failure into the
        publication's state. A check that finds nothing may leave no line
        in the log (log_ok=False); its failures are always logged.

        unapplied: the step whose "sent" mark is taken back when KashFlow
        surely did not apply this write (unsent: the files' entries before
        it). unclear_ok: a write without an answer returns None (the caller
        deals with it) instead of stopping the run."""
        publication = self.publication
        started = dt.datetime.now()
        try:
            result = method(*args)
        except KashFlowError as error:
            # The client's words, with KashFlow's operation, stay in the log.
            unclear = isinstance(error, UnclearOutcomeError)
            publication.add_log(action, 'unclear' if unclear else 'error', sent,
                str(error))
            found = publication_outcome(error, action, self.side, self.connection)
            next_attempt = None
            if isinstance(error, RateLimitedError):
                # Every run on this connection waits, not this one only.
                next_attempt = max(pace.pause(self.connection, error.retry_after),
                    dt.datetime.now() + publication.retry_delay())
            if not unclear:
                if unapplied:
                    publication.mark_not_applied(unapplied, unsent)
                self.stop(found, next_attempt=next_attempt)
            # It may still land in KashFlow: nothing is sent again before then.
            resend_after = (started + dt.timedelta(seconds=timeout())
                + late_write_margin())
            publication.mark_unclear(resend_after)
            if unclear_ok:
                return None
            self.stop(found, next_attempt=max(resend_after,
                    dt.datetime.now() + publication.retry_delay()))
        if log_ok:
            publication.add_log(action, 'ok', sent, summary(result))
        return result

    def stop(self, found, next_attempt=None):
        "Show the outcome of a failed call on the publication, and stop"
        if found.expire:
            # In a transaction of its own: nothing of ours is pending on the
            # connection.
            self.connection.expire(found.message)
            if self.batch:
                self.batch.expired.add(self.connection.id)
        self.fail(found.failure, found.message, found.hint,
            retry=found.retry, next_attempt=next_attempt)

    def _kashflow(self, method, *args, **kwargs):
        "Call the client's method for this side (see sides.Side)"
        return call(self.client, self.side, method, *args, **kwargs)

    def _partner_documents(self, party_id):
        "The partner's documents in KashFlow, without their lines (not needed)"
        return self._kashflow('partner_documents', party_id, lines=False)

    def _find_partner(self, partner):
        "The partner an earlier run created, found by its name"
        partners = self._kashflow('list_partners')
        matches = [p for p in partners if p.name == partner.name]
        return matches[-1] if matches else None

    def _find_document(self, document):
        "The document in KashFlow sent by an earlier run, or None"
        # The document sent carries no totals (KashFlow computes them): compare
        # with what KashFlow computes from its lines.
        gross = sum(totals(document.lines))
        matches = [d for d in self._partner_documents(document.party_id)
            if d.reference == document.reference and d.date == document.date
            and d.gross_amount == gross]
        if len(matches) > 1:
            self.fail('refused', gettext(
                    'dext_kashflow.msg_publish_found_twice',
                    count=len(matches),
                    numbers=', '.join(str(d.number) for d in matches)),
                gettext('dext_kashflow.msg_hint_found_twice'))
        return matches[0] if matches else None

    def _get_document(self):
        return self._kashflow('get_document', self.publication.kashflow_number)

    def _store_partner(self, partner):
        "Keep the partner KashFlow created in the lists, linked to the party"
        Model = Pool().get(self.side.partner_model)
        Model.create([{
                    'connection': self.connection.id,
                    'kashflow_id': partner.id,
                    'code': partner.code or None,
                    'name': partner.name,
                    # The currency it was created in: the next document's check
                    # reads it before the lists are refreshed.
                    'currency_id': partner.currency_id or 0,
                    'party': self.invoice.party.id,
                    }])


def local_time(company, when):
    "when (UTC) as the company's clock shows it, e.g. 14:32 (Europe/London)"
    timezone = getattr(company, 'timezone', None)
    try:
        from zoneinfo import ZoneInfo
        zone = ZoneInfo(timezone) if timezone else None
    except (KeyError, ValueError):
        zone = None
    if zone is None:
        return when.strftime('%H:%M UTC')
    local = when.replace(tzinfo=dt.UTC).astimezone(zone)
    return local.strftime('%H:%M') + f' ({timezone})'


def summary(result):
    "What KashFlow answered, short enough for the log"
    if hasattr(result, 'number') and hasattr(result, 'db_id'):
        return {'number': result.number, 'id': result.db_id,
            'amount_paid': str(getattr(result, 'amount_paid', ''))}
    if isinstance(result, list):
        return {'found': len(result)}
    return result if isinstance(result, (int, bool, str, type(None))) else str(result)
