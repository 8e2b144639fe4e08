"""Real queue workers: with a user's clicks on the same documents, nothing
is sent twice; what KashFlow's pause held is published when it ends.

Two `trytond-worker` processes share a bulk Publish (one task per chunk of a
partner's documents; the Publish click commits its tasks part by part, so the
workers start on the first part while the next is checked: a part is one task
here, so that a few documents make several parts) while the user
clicks Publish on some of the same documents, and a second bulk Publish of
all of them is queued too. KashFlow
answers every call after 100 ms, so that they overlap. The workers need the
database's LISTEN/NOTIFY and a database other processes share: PostgreSQL
only (CI runs the module's tests there too).
"""
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from trytond import backend

pytestmark = pytest.mark.skipif(
    backend.name != 'postgresql',
    reason="needs trytond-worker, which waits on PostgreSQL's LISTEN/NOTIFY")

DOCUMENTS = 30
SUPPLIERS = ["BT Business", "Office Supplies Direct"]
PAUSE = 4  # seconds: the rate limit's pause, the workers' setting
CLAIM_TIMEOUT = 3  # seconds: how long a dead worker's documents wait


class Workers:
    """trytond-worker processes on the test database, each in a process
    group of its own (the worker and its process pool)"""

    def __init__(self, database_name, folder):
        import trytond.config as config

        self.database_name = database_name
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_')}
        self.env.update({
                'TRYTOND_DATABASE__URI': config.get('database', 'uri'),
                'TRYTOND_QUEUE__WORKER': 'True',
                'TRYTOND_DEXT_KASHFLOW__SECRET_KEYS': config.get(
                    'dext_kashflow', 'secret_keys'),
                'TRYTOND_DEXT_KASHFLOW__RATE_LIMIT_PAUSE': str(PAUSE),
                'TRYTOND_DEXT_KASHFLOW__RETRY_DELAYS': '1',
                'TRYTOND_DEXT_KASHFLOW__CLAIM_TIMEOUT': str(CLAIM_TIMEOUT),
                'TRYTOND_DEXT_KASHFLOW__LATE_WRITE_MARGIN': '1',
                })
        self.processes = []
        self.logs = []

    def start(self, count):
        worker = Path(sys.executable).parent / 'trytond-worker'
        for _ in range(count):
            log = self.folder / f'worker-{len(self.logs) + 1}.log'
            self.logs.append(log)
            self.processes.append(subprocess.Popen(
                    [str(worker), '-vv', '-d', self.database_name, '-n', '1'],
                    env=self.env, stdout=log.open('w'),
                    stderr=subprocess.STDOUT, start_new_session=True))

    def stop(self, sig=signal.SIGTERM):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, sig)
        for process in self.processes:
            process.wait(timeout=30)
        self.processes.clear()


@pytest.fixture
def workers(connected_books, tmp_path):
    """Two trytond-worker processes on the test database; the test process
    queues work for them ([queue] worker = True), as trytond does"""
    import trytond.config as config

    found = Workers(connected_books.database_name, tmp_path)
    found.start(2)
    config.set('queue', 'worker', 'True')
    try:
        yield found
    finally:
        config.set('queue', 'worker', 'False')
        # Each worker and its process pool, which hold database connections.
        found.stop()


def posted_bills(books, count):
    """count bills posted, of two suppliers in turn, oldest first"""
    from proteus import Model
    from trytond.modules.account.tests.tools import get_accounts
    from trytond.tests.tools import set_user

    Party = Model.get('party.party')
    parties = [Party(name=name) for name in SUPPLIERS]
    Party.save(parties)
    set_user(books.users.admin)
    books.connection.click('refresh')
    set_user(1)

    Invoice = Model.get('account.invoice')
    Tax = Model.get('account.tax')
    expense = get_accounts()['expense']
    today = dt.date.today()
    invoices = []
    for n in range(count):
        invoice = Invoice(type='in', party=parties[n % 2], invoice_date=today,
            reference=f'WORKERS-{n:02d}')
        line = invoice.lines.new()
        line.account = expense
        line.description = "Calls"
        line.quantity = 1
        line.unit_price = Decimal(10 + n)
        line.taxes.append(Tax(books.taxes['vat20'].id))
        invoices.append(invoice)
    Invoice.save(invoices)
    Invoice.click(invoices, 'post')
    return invoices


def test_two_workers_and_a_click_never_send_a_document_twice(
        connected_books, workers, monkeypatch):
    from proteus import Model, Wizard
    from trytond.tests.tools import set_user

    from ..models import invoice as invoice_module

    # One task per part of the click: its 30 documents (two suppliers' tasks)
    # are checked, queued and committed in two parts.
    monkeypatch.setattr(invoice_module, 'SLICE_SIZE', invoice_module.TASK_SIZE)
    books = connected_books
    Invoice = Model.get('account.invoice')
    invoices = posted_bills(books, DOCUMENTS)
    references = sorted(i.reference for i in invoices)

    books.kashflow.fault('*', 'delay', times=10**6, delay_ms=100)
    set_user(books.users.publisher)
    publish = Wizard('kashflow.publish', invoices)
    publish.execute('publish')
    assert publish.form.queued == DOCUMENTS

    # The user clicks Publish on the newest documents while the workers
    # publish, and queues all of them again.
    told = []
    for invoice in reversed(invoices[-6:]):
        try:
            invoice.click('kashflow_publish')
            told.append(Invoice(invoice.id).kashflow_state)
        except Exception as error:
            # A worker published it meanwhile, or is sending it: the button
            # is gone (the server refuses it as sao hides it).
            assert ("already published in KashFlow" in str(error)
                or 'You can not call "kashflow_publish"' in str(error)), error
            told.append(str(error))
    again = Wizard('kashflow.publish', invoices)
    again.execute('publish')

    def published():
        return [i for i in Invoice.find([('id', 'in', [i.id for i in invoices])])
            if i.kashflow_state == 'published']
    deadline = time.monotonic() + 60
    while len(published()) < DOCUMENTS and time.monotonic() < deadline:
        time.sleep(0.5)
    books.kashflow.clear_faults()

    receipts = books.kashflow.account(books.username)['receipts']
    assert sorted(r['CustomerReference'] for r in receipts) == references, told
    numbers = {r['CustomerReference']: r['InvoiceNumber'] for r in receipts}
    shown = {i.reference: (i.kashflow_state, i.kashflow_number)
        for i in Invoice.find([('id', 'in', [i.id for i in invoices])])}
    assert shown == {r: ('published', numbers[r]) for r in references}
    # Both workers took part.
    for log in workers.logs:
        assert '<Task ' in log.read_text(), log.read_text()[-2000:]


def test_what_the_pause_held_is_published_when_it_ends(connected_books, workers):
    from proteus import Model, Wizard
    from trytond.tests.tools import set_user

    books = connected_books
    Invoice = Model.get('account.invoice')
    # Three bills of each supplier: a task each.
    invoices = posted_bills(books, 6)
    ids = [i.id for i in invoices]

    def states():
        return sorted(i.kashflow_state for i in Invoice.find([('id', 'in', ids)]))

    def partner_reads():
        return books.kashflow.calls().get('GetReceiptsForSupplier', 0)

    # KashFlow says "too many requests" to every bill: each task finds its
    # first bill refused or the connection paused, and holds the others.
    books.kashflow.fault('InsertReceipt', 'rate_limit', times=100)
    set_user(books.users.publisher)
    publish = Wizard('kashflow.publish', invoices)
    publish.execute('publish')
    assert publish.form.queued == 6
    deadline = time.monotonic() + 30
    while (any(i.kashflow_state == 'queued' and not i.kashflow_message
                for i in Invoice.find([('id', 'in', ids)]))
            and time.monotonic() < deadline):
        time.sleep(0.2)
    read_before = partner_reads()
    books.kashflow.clear_faults()
    assert 'published' not in states()

    # KashFlow takes bills again: all are published as the pause ends, not
    # when a worker next happens to wake up (a minute later); the documents
    # a task held are retried together, their supplier's documents in
    # KashFlow read once for them all.
    deadline = time.monotonic() + PAUSE + 15
    while states() != ['published'] * 6 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert states() == ['published'] * 6
    assert partner_reads() - read_before == 2
    receipts = books.kashflow.account(books.username)['receipts']
    assert sorted(r['CustomerReference'] for r in receipts) == [
        f'WORKERS-{n:02d}' for n in range(6)]


def test_what_a_killed_worker_held_is_published_once(connected_books, workers):
    """A worker dies in the middle of a task (its machine is switched off):
    the document it was sending and those of its task it had not reached are
    published by the cron's next look, each once."""
    from proteus import Model, Wizard
    from trytond.tests.tools import set_user

    from .tools import in_transaction, set_setting

    books = connected_books
    Invoice = Model.get('account.invoice')
    # One supplier's bills: one task, which one worker takes.
    invoices = [i for i in posted_bills(books, 8) if i.party.name == SUPPLIERS[0]]
    ids = [i.id for i in invoices]

    def states():
        return sorted(i.kashflow_state for i in Invoice.find([('id', 'in', ids)]))

    books.kashflow.fault('*', 'delay', times=10**6, delay_ms=700)
    set_user(books.users.publisher)
    publish = Wizard('kashflow.publish', invoices)
    publish.execute('publish')
    deadline = time.monotonic() + 30
    while 'published' not in states() and time.monotonic() < deadline:
        time.sleep(0.1)
    workers.stop(signal.SIGKILL)
    books.kashflow.clear_faults()
    left = states()
    assert 'published' in left and 'queued' in left, left

    # Nothing more happens until the cron looks, after the claim timeout.
    set_setting('claim_timeout', CLAIM_TIMEOUT)
    try:
        workers.start(1)
        time.sleep(CLAIM_TIMEOUT + 1)
        assert states() == left
        in_transaction(lambda pool: pool.get('account.invoice').kashflow_retry_due())
        deadline = time.monotonic() + 60
        while states() != ['published'] * 4 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        set_setting('claim_timeout', None)
    assert states() == ['published'] * 4
    receipts = books.kashflow.account(books.username)['receipts']
    assert sorted(r['CustomerReference'] for r in receipts) == sorted(
        i.reference for i in invoices)
