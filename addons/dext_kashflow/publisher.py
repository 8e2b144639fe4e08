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
import re
from dataclasses import asdict

from trytond.i18n import gettext
from trytond.model.exceptions import SQLConstraintError
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

from kashflow.errors import (
    AccessDeniedError,
    AuthenticationError,
    KashFlowError,
    TransientError,
    UnclearOutcomeError,
)
from kashflow.models import Payment

from .document import company_connection, prepare, totals
from .known_documents import KnownDocuments

logger = logging.getLogger(__name__)


class Stop(Exception):
    "This run cannot go further; the publication says why"


def publish(invoice, known=None):
    """Publish invoice unless it is published; the outcome is on its publication.

    It runs in a transaction of its own, committed after each step, so that
    what KashFlow was sent is on record before the call and what it answered
    right after, whatever happens to the caller's transaction. known keeps
    the partners' documents in KashFlow across a batch.
    """
    with Transaction().new_transaction() as transaction, \
            without_check_access():
        Invoice = Pool().get('account.invoice')
        run = Run(Invoice(invoice.id), transaction, known or KnownDocuments())
        run.start()
        return run.publication.state


def checkpoint(publication, **values):
    "Write values on the publication and commit everything done so far"
    if values:
        publication.set(**values)
    Transaction().commit()


def fail(publication, failure, message, hint, retry=False, **values):
    checkpoint(publication,
        state='failed' if failure != 'unclear' else 'sending',
        failure=failure, message=message, hint=hint, claimed_at=None,
        next_attempt=(dt.datetime.now() + publication.retry_delay()
            if retry else None), **values)
    raise Stop


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

    def start(self):
        publication, invoice = self.publication, self.invoice
        if publication.state == 'published':
            return
        if not publication.claim():
            logger.info("KashFlow publication %s is already running", publication.id)
            return
        checkpoint(publication)
        try:
            self.connection = company_connection(invoice.company)
            self.prepared = prepare(invoice, self.connection)
            if self.prepared.problems:
                publication.log('check', 'error', received=self.prepared.problems)
                fail(publication, 'invalid', '\n'.join(self.prepared.problems),
                    gettext('dext_kashflow.msg_hint_invalid'))
            with self.connection.client() as client:
                self.client = client
                self.partner()
                self.document()
                self.payment()
                self.attachments()
                self.credit()
            checkpoint(publication, state='published', failure=None,
                message=None, hint=None, next_attempt=None, claimed_at=None,
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

    # Steps --------------------------------------------------------------

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
        if found:
            partner_id = found.id
        else:
            checkpoint(publication, partner_sent=True)
            insert = (self.client.insert_supplier if prepared.kind == 'receipt'
                else self.client.insert_customer)
            partner_id = self.call('create_partner', insert, new, sent=asdict(new))
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
        elif prepared.partner and not self.invoice.kashflow_allow_duplicate:
            # (A partner this run created has no documents yet.)
            self.check_not_in_kashflow(document)
        checkpoint(publication, state='sending', document_sent_at=dt.datetime.now(),
            kind=prepared.kind, reference=document.reference,
            connection=self.connection.id)
        insert = (self.client.insert_receipt if prepared.kind == 'receipt'
            else self.client.insert_invoice)
        number = self.call('send', insert, document, sent=asdict(document))
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
        self.publication.log('duplicates', 'error', received={
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
        checkpoint(publication, payment_sent=True)
        insert = (self.client.insert_receipt_payment
            if self.prepared.kind == 'receipt'
            else self.client.insert_invoice_payment)
        payment_id = self.call('payment', insert, payment, sent=asdict(payment))
        checkpoint(publication, payment_id=payment_id)

    def attachments(self):
        files, publication = self.prepared.attachments, self.publication
        if not files or publication.attachment_ids:
            return
        if publication.attachment_sent:
            # KashFlow's API cannot list a purchase's files: never risk a copy.
            publication.log('attachment', 'skipped',
                received=gettext('dext_kashflow.msg_attachment_unclear'))
            checkpoint(publication, attachment_ids='?')
            return
        checkpoint(publication, attachment_sent=True)
        ids = []
        for attachment in files:
            ids.append(self.call('attachment', self.client.attach_file_to_receipt,
                    publication.kashflow_number, attachment,
                    sent={'filename': attachment.filename,
                        'content_type': attachment.content_type,
                        'size': len(attachment.content)}))
        checkpoint(publication, attachment_ids=','.join(map(str, ids)))

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
            publication.log('credit', 'skipped', received=gettext(
                    'dext_kashflow.msg_credit_original_not_published',
                    invoice=credited.rec_name))
            checkpoint(publication, credit_applied=True)
            return
        original = self.call('lookup', self.client.get_invoice,
            originals[0].kashflow_number)
        credit_note = self._get_document()
        if publication.credit_sent and credit_note.amount_paid:
            checkpoint(publication, credit_applied=True)
            return
        checkpoint(publication, credit_sent=True)
        self.call('credit', self.client.apply_credit_note, original.db_id,
            credit_note.db_id, sent={'invoice': original.number,
                'credit_note': credit_note.number})
        checkpoint(publication, credit_applied=True)

    # KashFlow calls -----------------------------------------------------

    def call(self, action, method, *args, sent=None, log_ok=True):
        """Call KashFlow, log the call, and turn a failure into the
        publication's state. A check that finds nothing may leave no line
        in the log (log_ok=False); its failures are always logged."""
        publication = self.publication
        try:
            result = method(*args)
        except UnclearOutcomeError as error:
            publication.log(action, 'unclear', sent, str(error))
            fail(publication, 'unclear', str(error),
                gettext('dext_kashflow.msg_hint_unclear'), retry=True)
        except (AuthenticationError, AccessDeniedError) as error:
            message = gettext('dext_kashflow.msg_connection_expired',
                connection=self.connection.rec_name, reason=str(error))
            # In a transaction of its own: nothing of ours is pending here.
            self.connection.expire(message)
            publication.log(action, 'error', sent, str(error))
            fail(publication, 'connection', message,
                gettext('dext_kashflow.msg_hint_reconnect'))
        except TransientError as error:
            publication.log(action, 'error', sent, str(error))
            fail(publication, 'unavailable', str(error),
                gettext('dext_kashflow.msg_hint_unavailable'), retry=True)
        except KashFlowError as error:
            publication.log(action, 'error', sent, str(error))
            # The client's message already says what KashFlow refused.
            fail(publication, 'refused', str(error), hint_for(error))
        if log_ok:
            publication.log(action, 'ok', sent, summary(result))
            checkpoint(publication)
        return result

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


def summary(result):
    "What KashFlow answered, short enough for the log"
    if hasattr(result, 'number') and hasattr(result, 'db_id'):
        return {'number': result.number, 'id': result.db_id,
            'amount_paid': str(getattr(result, 'amount_paid', ''))}
    if isinstance(result, list):
        return {'found': len(result)}
    return result if isinstance(result, (int, bool, str, type(None))) else str(result)


def hint_for(error):
    "A hint at the fix for what KashFlow refused"
    detail = (getattr(error, 'status_detail', None) or str(error)).lower()
    words_in_detail = set(re.findall(r'[a-z]+', detail))
    for words, message in (
            (('nominal', 'chargetype'), 'msg_hint_nominal'),
            (('vat rate', 'vat'), 'msg_hint_vat'),
            (('supplier', 'customer'), 'msg_hint_partner'),
            (('project',), 'msg_hint_project'),
            (('bank account', 'payment method'), 'msg_hint_bank'),
            (('decimal',), 'msg_hint_decimals'),
            ):
        if any((w in detail) if ' ' in w else (w in words_in_detail) for w in words):
            return gettext(f'dext_kashflow.{message}')
    return gettext('dext_kashflow.msg_hint_refused')
