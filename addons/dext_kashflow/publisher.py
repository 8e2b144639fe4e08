"""Publishing one document to KashFlow, exactly once.

KashFlow has no idempotency key, so the publication record stands in for
one. Every step that writes in KashFlow (the partner, the document with its
lines, the payment, the file, the credit note's application) is marked
"sent" and committed before the call, and its result committed right after.
When a call ends without a clear answer, the step stays "sent": the next run
looks in KashFlow for what it may have created before sending anything
again. Status NO from KashFlow stops the run and shows the reason; KashFlow
being unreachable schedules a retry.
"""
import datetime as dt
import logging
from dataclasses import asdict

import trytond.config as config
from trytond.i18n import gettext
from trytond.model.exceptions import SQLConstraintError
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

from kashflow.errors import KashFlowError, RateLimitedError, UnclearOutcomeError
from kashflow.models import Payment

from . import pace
from .document import company_connection, invoice_files, prepare, totals
from .exceptions import SecretKeyError
from .known_documents import KnownDocuments
from .models.connection import timeout
from .models.publication import late_write_margin
from .outcomes import outcome

logger = logging.getLogger(__name__)

# How a file stands in publication.attachment_ids, one entry per file:
# not sent, sent without an answer, found in KashFlow by the publisher, or
# else KashFlow's id of the file.
NOT_SENT, UNCONFIRMED, CHECKED = '', '?', '!'



class Stop(Exception):
    "This run cannot go further; the publication says why"


def publish(invoice, known=None, interactive=False):
    """Publish invoice unless it is published; the outcome is on its publication.

    It runs in a transaction of its own, committed after each step, so that
    what KashFlow was sent is on record before the call and what it answered
    right after, whatever happens to the caller's transaction. known keeps
    the partners' documents in KashFlow across a batch. interactive: a
    person is waiting, so each call is tried once (the cron retries).
    """
    return _run(invoice, known, interactive, files_only=False)


def resend_files(invoice):
    """Send again the files of a published document that KashFlow did not
    confirm (the publisher checked that they are missing there)."""
    return _run(invoice, None, True, files_only=True)


def _run(invoice, known, interactive, files_only):
    with Transaction().new_transaction() as transaction, \
            without_check_access():
        Invoice = Pool().get('account.invoice')
        run = Run(Invoice(invoice.id), transaction, known or KnownDocuments())
        run.start(interactive=interactive, files_only=files_only)
        return run.publication.state


def checkpoint(publication, **values):
    "Write values on the publication and commit everything done so far"
    if values:
        publication.set(**values)
    Transaction().commit()


def fail(publication, failure, message, hint, retry=False, next_attempt=None,
        **values):
    if retry and not next_attempt:
        next_attempt = dt.datetime.now() + publication.retry_delay()
    if next_attempt:
        schedule_retry(publication, next_attempt)
    checkpoint(publication,
        state='failed' if failure != 'unclear' else 'sending',
        failure=failure, message=message, hint=hint, claimed_at=None,
        next_attempt=next_attempt, **values)
    raise Stop


def schedule_retry(publication, when):
    """With queue workers, a task due at when retries the document on time;
    without, the retry cron does (a task now would run at once)."""
    if not config.getboolean('queue', 'worker', default=False):
        return
    Invoice = Pool().get('account.invoice')
    with Transaction().set_context(queue_name='kashflow',
            queue_scheduled_at=max(when - dt.datetime.now(), dt.timedelta(0))):
        Invoice.__queue__.kashflow_publish_due([publication.invoice])


class Run:
    "One attempt at a publication, step by step"

    def __init__(self, invoice, transaction, known):
        Publication = Pool().get('kashflow.publication')
        self.invoice = invoice
        self.known = known
        try:
            self.publication = Publication.for_invoice(invoice)
        except SQLConstraintError:
            # Another run created it at the same moment: take theirs (the
            # claim decides which run goes on).
            transaction.rollback()
            self.publication = Publication.for_invoice(invoice)
        transaction.commit()
        self.connection = None
        self.prepared = None
        self.client = None

    def start(self, interactive=False, files_only=False):
        publication, invoice = self.publication, self.invoice
        if (publication.state == 'published') != files_only:
            return
        if not publication.claim():
            logger.info("KashFlow publication %s is already running", publication.id)
            return
        checkpoint(publication)
        try:
            self.connection = company_connection(invoice.company)
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
            checkpoint(publication, state='published', failure=None,
                message=None, hint=None, next_attempt=None, claimed_at=None,
                # An unconfirmed file may still land until then.
                resend_after=(publication.resend_after
                    if publication.file_unconfirmed else None),
                published_at=publication.published_at or dt.datetime.now())
        except Stop:
            pass
        except Exception:
            # A bug, not KashFlow: free the publication and show that it failed.
            logger.exception(
                "Publishing invoice %s to KashFlow crashed", invoice.id)
            Transaction().rollback()
            checkpoint(publication, state='failed', failure='refused',
                message=gettext('dext_kashflow.msg_publish_crashed'),
                hint=gettext('dext_kashflow.msg_hint_crashed'), claimed_at=None)
            raise

    def wait_for_pace(self):
        "Send nothing while KashFlow asked any run on this connection to slow down"
        until = pace.paused_until(self.connection)
        if until:
            schedule_retry(self.publication, until)
            checkpoint(self.publication, claimed_at=None, next_attempt=until,
                message=gettext('dext_kashflow.msg_paused',
                    time=local_time(self.invoice.company, until)),
                **pace.held(self.publication))
            raise Stop

    def open_client(self, interactive):
        "The connection's client; stop when its password cannot be read here"
        try:
            return self.connection.client(interactive=interactive)
        except SecretKeyError as error:
            # Encrypted with a key this server no longer has: nothing was sent.
            fail(self.publication, 'setup', error.message,
                gettext('dext_kashflow.msg_hint_reconnect'))

    # Steps --------------------------------------------------------------

    def prepare(self):
        "The document to send, or stop on what must be fixed first"
        self.prepared = prepare(self.invoice, self.connection)
        problems = self.prepared.problems
        if problems:
            self.publication.add_log('check', 'error', received=problems)
            fail(self.publication, 'invalid', '\n'.join(problems),
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
            checkpoint(publication, partner_sent=True)
            insert = (self.client.insert_supplier if prepared.kind == 'receipt'
                else self.client.insert_customer)
            partner_id = self.call('create_partner', insert, new,
                sent=asdict(new), unapplied={'partner_sent': False})
        new.id = partner_id
        checkpoint(publication, kashflow_partner_id=partner_id)
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
                checkpoint(publication, kashflow_number=found.number,
                    kashflow_id=found.db_id)
                return
            self.wait_for_late_write()
        elif prepared.partner and not self.invoice.kashflow_allow_duplicate:
            # (A partner this run created has no documents yet.)
            self.check_not_in_kashflow(document)
        notes = '\n'.join(prepared.notes) or None
        if notes:
            publication.add_log('check', 'ok', received=notes)
        checkpoint(publication, state='sending', document_sent_at=dt.datetime.now(),
            kind=prepared.kind, reference=document.reference, notes=notes,
            connection=self.connection.id)
        insert = (self.client.insert_receipt if prepared.kind == 'receipt'
            else self.client.insert_invoice)
        number = self.call('send', insert, document, sent=asdict(document),
            unapplied={'document_sent_at': None})
        checkpoint(publication, kashflow_number=number)
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
        fail(self.publication, 'duplicate', gettext(
                'dext_kashflow.msg_publish_duplicate',
                party=self.invoice.party.rec_name, reference=document.reference,
                numbers=', '.join(str(d.number) for d in found)),
            gettext('dext_kashflow.msg_hint_duplicate'),
            found_number=single.number if single else None,
            found_id=single.db_id if single else None)

    def payment(self):
        plan, publication = self.prepared.payment, self.publication
        if not plan or publication.payment_id:
            return
        payment = Payment(document_number=publication.kashflow_number,
            date=plan.date, amount=plan.amount, method_id=plan.method_id,
            bank_account_id=plan.bank_account_id,
            note=gettext('dext_kashflow.msg_payment_note'))
        if publication.payment_sent:
            document = self.call('lookup', self._get_document)
            if document.amount_paid >= plan.amount:
                checkpoint(publication, payment_id=-1)
                return
            self.wait_for_late_write()
        checkpoint(publication, payment_sent=True)
        insert = (self.client.insert_receipt_payment
            if self.prepared.kind == 'receipt'
            else self.client.insert_invoice_payment)
        payment_id = self.call('payment', insert, payment, sent=asdict(payment),
            unapplied={'payment_sent': False})
        checkpoint(publication, payment_id=payment_id)

    def attachments(self, files, resend=False):
        """Send the document's files, one by one.

        KashFlow's API cannot list a purchase's files, so a file sent without
        an answer is never sent again blindly: the document is published
        with a warning, and the publisher, having checked KashFlow, may send
        the unconfirmed files again (resend)."""
        publication = self.publication
        ids = file_ids(publication.attachment_ids, len(files))
        to_send = {NOT_SENT, UNCONFIRMED} if resend else {NOT_SENT}
        for index, attachment in enumerate(files):
            if ids[index] not in to_send:
                continue
            unsent = ','.join(ids)
            ids[index] = UNCONFIRMED
            checkpoint(publication, attachment_ids=','.join(ids))
            file_id = self.call('attachment', self.client.attach_file_to_receipt,
                publication.kashflow_number, attachment,
                sent={'filename': attachment.filename,
                    'content_type': attachment.content_type,
                    'size': len(attachment.content)},
                unapplied={'attachment_ids': unsent}, unclear_ok=True)
            if file_id is not None:
                ids[index] = str(file_id)
                checkpoint(publication, attachment_ids=','.join(ids))
        unconfirmed = [f.filename for f, i in zip(files, ids, strict=True)
            if i == UNCONFIRMED]
        warning = None
        if unconfirmed:
            warning = gettext('dext_kashflow.msg_file_unconfirmed'
                if len(unconfirmed) == 1 else 'dext_kashflow.msg_files_unconfirmed',
                files=', '.join(unconfirmed))
        checkpoint(publication, file_unconfirmed=bool(unconfirmed), warning=warning)

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
            checkpoint(publication, credit_applied=True)
            return
        original = self.call('lookup', self.client.get_invoice,
            originals[0].kashflow_number)
        credit_note = self._get_document()
        if publication.credit_sent:
            if credit_note.amount_paid:
                checkpoint(publication, credit_applied=True)
                return
            self.wait_for_late_write()
        checkpoint(publication, credit_sent=True)
        self.call('credit', self.client.apply_credit_note, original.db_id,
            credit_note.db_id, sent={'invoice': original.number,
                'credit_note': credit_note.number},
            unapplied={'credit_sent': False})
        checkpoint(publication, credit_applied=True)

    def wait_for_late_write(self):
        """After a write without an answer, nothing is sent again while it
        may still land in KashFlow: the lookup found nothing yet, so try
        again once it can no longer land."""
        until = self.publication.resend_after
        if until and dt.datetime.now() < until:
            fail(self.publication, 'unclear', gettext(
                    'dext_kashflow.msg_failure_not_found_yet',
                    time=local_time(self.invoice.company, until)),
                gettext('dext_kashflow.msg_hint_not_found_yet'),
                next_attempt=until)

    # KashFlow calls -----------------------------------------------------

    def call(self, action, method, *args, sent=None, log_ok=True,
            unapplied=None, unclear_ok=False):
        """Call KashFlow, log the call, and turn a failure into the
        publication's state. A check that finds nothing may leave no line
        in the log (log_ok=False); its failures are always logged.

        unapplied: what to write on the publication when KashFlow surely did
        not apply this write (its "sent" mark taken back). unclear_ok: a
        write without an answer returns None (the caller deals with it)
        instead of stopping the run."""
        publication = self.publication
        started = dt.datetime.now()
        try:
            result = method(*args)
        except KashFlowError as error:
            # The client's words, with KashFlow's operation, stay in the log.
            unclear = isinstance(error, UnclearOutcomeError)
            publication.add_log(action, 'unclear' if unclear else 'error', sent,
                str(error))
            if isinstance(error, RateLimitedError):
                # Every run on this connection waits, not this one only.
                until = pace.pause(self.connection, error.retry_after)
                unapplied = {**(unapplied or {}), 'next_attempt': max(until,
                        dt.datetime.now() + publication.retry_delay())}
            if not unclear:
                self.stop(outcome(error, action, publication.kind, self.connection),
                    **(unapplied or {}))
            # It may still land in KashFlow: nothing is sent again before then.
            resend_after = (started + dt.timedelta(seconds=timeout())
                + late_write_margin())
            if unclear_ok:
                checkpoint(publication, resend_after=resend_after)
                return None
            self.stop(outcome(error, action, publication.kind, self.connection),
                resend_after=resend_after, next_attempt=max(resend_after,
                    dt.datetime.now() + publication.retry_delay()))
        if log_ok:
            publication.add_log(action, 'ok', sent, summary(result))
            checkpoint(publication)
        return result

    def stop(self, found, **values):
        "Show the outcome of a failed call on the publication, and stop"
        if found.expire:
            # In a transaction of its own: nothing of ours is pending here.
            self.connection.expire(found.message)
        fail(self.publication, found.failure, found.message, found.hint,
            retry=found.retry, **values)

    def _find_partner(self, partner):
        "The partner an earlier run created, found by its name"
        partners = (self.client.get_suppliers() if self.prepared.kind == 'receipt'
            else self.client.get_customers())
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
            fail(self.publication, 'refused', gettext(
                    'dext_kashflow.msg_publish_found_twice',
                    count=len(matches),
                    numbers=', '.join(str(d.number) for d in matches)),
                gettext('dext_kashflow.msg_hint_found_twice'))
        return matches[0] if matches else None

    def _partner_documents(self, party_id):
        finder = (self.client.get_receipts_for_supplier
            if self.prepared.kind == 'receipt'
            else self.client.get_invoices_for_customer)
        return finder(party_id)

    def _get_document(self):
        getter = (self.client.get_receipt if self.prepared.kind == 'receipt'
            else self.client.get_invoice)
        return getter(self.publication.kashflow_number)

    def _store_partner(self, partner):
        "Keep the partner KashFlow created in the lists, linked to the party"
        pool = Pool()
        Model = pool.get('kashflow.supplier' if self.prepared.kind == 'receipt'
            else 'kashflow.customer')
        Model.create([{
                    'connection': self.connection.id,
                    'kashflow_id': partner.id,
                    'code': partner.code or None,
                    'name': partner.name,
                    'party': self.invoice.party.id,
                    }])
        checkpoint(self.publication)


def file_ids(text, count):
    "The entries of attachment_ids for count files"
    ids = text.split(',') if text else []
    return (ids + [NOT_SENT] * count)[:count]


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
