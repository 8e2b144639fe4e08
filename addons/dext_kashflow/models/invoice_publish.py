"""Publishing invoices from Tryton: the Publish, Retry and Clear buttons, the
queue, and the cron that retries what KashFlow could not take.

Each document is sent by publisher.py, exactly once. The document a person
clicks is published at once and the outcome shown to them
(wizards/publish_outcome.py); a selection goes to the queue, oldest first.
"""
import datetime as dt
import re

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import ModelView
from trytond.model.exceptions import SQLConstraintError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .. import publisher
from ..document import company_connection, prepare
from ..exceptions import PublishError
from ..known_documents import KnownDocuments
from ..publisher import local_time
from .publication import CLAIM_TIMEOUT

# Documents of one partner per queued task.
CHUNK = 20


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def __setup__(cls):
        super().__setup__()
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
    @ModelView.button
    def kashflow_publish(cls, invoices):
        """Check the documents, then publish them: the one a person clicked
        at once, saying how it went; a selection in the background.

        Every problem of every document is shown at once, and kept on the
        document; nothing is sent while any document has one.
        """
        problems = cls.kashflow_check(invoices)
        if problems:
            cls.kashflow_record_problems(problems)
            raise PublishError(gettext('dext_kashflow.msg_publish_problems',
                    problems='\n\n'.join(
                        f'{invoice.rec_name}:\n' + '\n'.join(
                            f'\u2022 {p}' for p in invoice_problems)
                        for invoice, invoice_problems in problems)))
        if len(invoices) == 1:
            # A person is waiting: one attempt now; what fails for a while
            # is retried by the cron.
            publisher.publish(invoices[0], interactive=True)
            return cls.kashflow_outcome_action()
        cls.kashflow_queue(invoices)

    @classmethod
    def kashflow_outcome_action(cls):
        "The dialog that tells the person who clicked how publishing went"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action')
        return Action.get_action_id(
            ModelData.get_id('dext_kashflow', 'wizard_publish_outcome'))

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
                if publication.state == 'published':
                    continue
                publication.add_log('check', 'error', received=invoice_problems)
                if publication.state == 'sending':
                    # It may be in KashFlow: what it shows stays until a
                    # look in KashFlow settles it.
                    continue
                publication.set(state='failed', failure='invalid',
                    message='\n'.join(invoice_problems),
                    hint=gettext('dext_kashflow.msg_hint_invalid'),
                    next_attempt=None)
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
            publication.add_log('link', 'ok', sent={
                    'kashflow_number': publication.found_number})
            publication.set(state='published', failure=None, message=None,
                hint=None, next_attempt=None,
                kashflow_number=publication.found_number,
                kashflow_id=publication.found_id,
                connection=company_connection(invoice.company).id,
                published_at=dt.datetime.now())

    @classmethod
    def kashflow_check(cls, invoices):
        "The problems of each invoice that has some, as [(invoice, [problem])]"
        problems = []
        with without_check_access():
            for invoice in invoices:
                if invoice.kashflow_state == 'published':
                    problems.append((invoice, [gettext(
                                    'dext_kashflow.msg_publish_already',
                                    number=invoice.kashflow_number)]))
                    continue
                connection = company_connection(invoice.company)
                invoice_problems = prepare(invoice, connection).problems
                if invoice_problems:
                    problems.append((invoice, invoice_problems))
        return problems

    @classmethod
    def kashflow_queue(cls, invoices):
        "Publish invoices in the background (right after this call without a worker)"
        Publication = Pool().get('kashflow.publication')
        # In bulk: a write per document would reload the whole selection each time.
        with without_check_access():
            existing = {p.invoice.id: p for p in Publication.search([
                        ('invoice', 'in', [i.id for i in invoices]),
                        ])}
            try:
                Publication.create([Publication.values_for(i)
                        for i in invoices if i.id not in existing])
            except SQLConstraintError as error:
                # Another user pressed Publish on one of them at the same
                # moment: theirs goes on, nothing is sent twice. (The message
                # is read in a new transaction: this one is aborted.)
                with Transaction().new_transaction():
                    message = gettext(
                        'dext_kashflow.msg_publish_started_elsewhere')
                raise PublishError(message) from error
            requeue = [p for p in existing.values()
                if p.state in {'cleared', 'failed'} and not p.claimed_at]
            if requeue:
                Publication.write(requeue, {'state': 'queued', 'next_attempt': None})
        # A task per chunk, so that several workers share the selection; each
        # increasing expected time keeps the oldest chunks first in the queue.
        # Without a worker the tasks run after this request, the last queued
        # first: one task keeps the documents oldest first.
        chunks = (cls.kashflow_chunks(invoices)
            if config.getboolean('queue', 'worker', default=False)
            else [invoices])
        for index, chunk in enumerate(chunks):
            with Transaction().set_context(queue_name='kashflow',
                    queue_expected_at=dt.timedelta(microseconds=index)):
                cls.__queue__.kashflow_publish_now(chunk)

    @classmethod
    def kashflow_chunks(cls, invoices):
        """The invoices in chunks of at most CHUNK documents of one partner,
        oldest first. KashFlow lists a partner's documents once per chunk;
        documents with the same reference stay in one chunk, so that
        running chunks side by side cannot both send it."""
        chunks, current, by_reference = [], {}, {}
        for invoice in sorted(invoices, key=cls.kashflow_publish_order):
            partner = (invoice.type, invoice.party.id)
            reference = (invoice.reference or '').strip().casefold()
            chunk = by_reference.get((partner, reference)) if reference else None
            if chunk is None:
                chunk = current.get(partner)
                if chunk is None or len(chunk) >= CHUNK:
                    chunk = current[partner] = []
                    chunks.append(chunk)
                if reference:
                    by_reference[(partner, reference)] = chunk
            chunk.append(invoice)
        return chunks

    @classmethod
    def kashflow_publish_now(cls, invoices):
        """Publish each invoice (run by the queue), oldest first, so that
        KashFlow's numbers follow the dates"""
        known = KnownDocuments()
        for invoice in sorted(invoices, key=cls.kashflow_publish_order):
            publisher.publish(invoice, known)

    @staticmethod
    def kashflow_publish_order(invoice):
        "By date, then number as people read it (9 before 10)"
        number = [int(part) if part.isdigit() else part
            for part in re.split(r'(\d+)', invoice.number or '')]
        return (invoice.invoice_date or dt.date.max, number, invoice.id)

    @classmethod
    def kashflow_retry_due(cls):
        """Publish again what KashFlow could not take, when its retry is due,
        and what a run that died left "Publishing" (cron)"""
        Publication = Pool().get('kashflow.publication')
        publications = Publication.search(Publication.due_domain())
        if publications:
            cls.kashflow_queue(cls.browse([p.invoice.id for p in publications]))

    @classmethod
    def kashflow_publish_due(cls, invoices):
        """Publish those of invoices whose retry is due (a task the publisher
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
        Publication = Pool().get('kashflow.publication')
        publications = cls.kashflow_check_not_running(invoices)
        for invoice in invoices:
            publication = publications.get(invoice.id)
            if not publication:
                continue
            publication.add_log('clear', 'ok', sent={
                    'kashflow_number': publication.kashflow_number})
            publication.set(**Publication.cleared_values())

    @classmethod
    def kashflow_check_not_running(cls, invoices):
        "Refuse to clear what a run is publishing; the publications by invoice id"
        publications = cls.kashflow_publications(invoices)
        for invoice in invoices:
            publication = publications.get(invoice.id)
            if publication and publication.claimed_at and (
                    dt.datetime.now() - publication.claimed_at < CLAIM_TIMEOUT):
                raise PublishError(gettext(
                        'dext_kashflow.msg_clear_running', invoice=invoice.rec_name))
        return publications

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
                        time=local_time(invoice.company, publication.resend_after)))
        for invoice in invoices:
            publisher.resend_files(invoice)

    @classmethod
    @ModelView.button
    def kashflow_confirm_files(cls, invoices):
        "The publisher found the unconfirmed files in KashFlow: nothing to send"
        publications = cls.kashflow_publications(invoices)
        for invoice in invoices:
            publication = publications.get(invoice.id)
            if not (publication and publication.file_unconfirmed):
                continue
            publication.add_log('attachment', 'ok', received=gettext(
                    'dext_kashflow.msg_files_confirmed_by_user'))
            publication.set(file_unconfirmed=False, warning=None,
                attachment_ids=publication.attachment_ids.replace(
                    publisher.UNCONFIRMED, publisher.CHECKED))
