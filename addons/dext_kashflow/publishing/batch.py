"""What the runs of one queue task share (Batch), and the queueing of
retries: the documents prepared together, each partner's documents in
KashFlow (read once), one client per connection."""
import datetime as dt

import trytond.config as config
from trytond.pool import Pool
from trytond.transaction import Transaction

from .known_documents import KnownDocuments
from .prepare import Lookups, prepare_many
from .slices import NO_SELECTION
from .timing import timed

# The retries of a batch's documents due within this of each other share a task.
RETRY_TOGETHER = dt.timedelta(seconds=5)


class Batch:
    """What the runs of one task share, read in the task's transaction: the
    documents prepared together, the companies' connections, one client per
    connection, and each partner's documents in KashFlow (read once)"""

    def __init__(self, invoices=()):
        self.known = KnownDocuments()
        self.lookups = Lookups()
        self.prepared = {}
        self.publications = {}  # their ids, by invoice id
        self.clients = {}  # by connection id
        self.expired = set()  # the connections a run found expired
        self.retries = []  # (when, invoice id) of the documents to retry
        self.prepare(invoices)

    def prepare(self, invoices):
        "Prepare invoices together, and find their publications, before their runs"
        if not invoices:
            return
        Publication = Pool().get('kashflow.publication')
        with timed('prepare'):
            self.prepared.update(prepare_many(invoices, self.lookups))
            self.publications.update((row['invoice'], row['id'])
                for row in Publication.search_read(
                    [('invoice', 'in', [i.id for i in invoices])],
                    fields_names=['invoice']))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for client in self.clients.values():
            client.close()

    def connection(self, company):
        """The company's connection, None when it must be read again (in the
        run's transaction): a run expired it, or the batch did not read it"""
        connection = self.lookups.connections.get(company.id)
        if connection and connection.id not in self.expired:
            return connection
        return None

    def take_prepared(self, invoice):
        """The document prepared for invoice, None when it must be prepared
        again in the run: a run expired the connection, or the partner was
        not linked (a run before may have created it in KashFlow)"""
        prepared = self.prepared.pop(invoice.id, None)
        if (prepared and not prepared.new_partner
                and self.connection(invoice.company)):
            return prepared
        return None

    def push_retries(self):
        """Queue the retries of the batch's documents: one task for those due
        within RETRY_TOGETHER of each other, due when the last of them is.
        (A pause holds every document after the one KashFlow slowed down: a
        task each would read their partner's documents again, each.) Should
        the task die first, the retry cron finds them."""
        groups = []
        for when, invoice_id in sorted(self.retries):
            if not groups or when - groups[-1][0][0] > RETRY_TOGETHER:
                groups.append([])
            groups[-1].append((when, invoice_id))
        for group in groups:
            push_retry([i for _, i in group], group[-1][0])
        self.retries.clear()

    def client(self, connection):
        "The connection's client for the whole batch (closed with it)"
        if connection.id not in self.clients:
            self.clients[connection.id] = connection.client()
        return self.clients[connection.id]


def schedule_retry(publication, when, batch=None):
    """Retry the document at when: in a batch, with the batch's others due
    about then, as its task ends (Batch.push_retries); else at once."""
    if batch is not None:
        batch.retries.append((when, publication.invoice.id))
    else:
        push_retry([publication.invoice.id], when)


def push_retry(invoice_ids, when):
    """With queue workers, a task due at when retries the documents on time;
    without, the retry cron does (a task now would run at once)."""
    if not config.getboolean('queue', 'worker', default=False):
        return
    Invoice = Pool().get('account.invoice')
    with Transaction().set_context(NO_SELECTION, queue_name='kashflow',
            queue_scheduled_at=max(when - dt.datetime.now(), dt.timedelta(0))):
        Invoice.__queue__.kashflow_publish_due(invoice_ids)
