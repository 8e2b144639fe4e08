"""Two runs publishing the same document at the same moment: only one sends.

Each run is the publisher in a thread of its own, with its own database
connection, as two queue workers (or a worker and the cron) would be. This
needs a database two connections share: SQLite's in-memory test database is
one per thread, so the test runs on PostgreSQL only (CI runs the module's
tests there too).
"""
import threading

import pytest
from trytond import backend

pytestmark = pytest.mark.skipif(
    backend.name != 'postgresql',
    reason="needs a database shared by two connections (PostgreSQL)")


@pytest.fixture
def books(connected_books):
    "The connected company with BT Business linked and its bill RACE-1 posted"
    import datetime as dt

    from proteus import Model
    from trytond.tests.tools import set_user

    from .tools import new_invoice

    books = connected_books
    bt = Model.get('party.party')(name="BT Business")
    bt.save()
    set_user(books.users.admin)
    books.connection.click('refresh')
    set_user(1)
    books.invoice = new_invoice('in', bt, [(1, '10.00', "Calls")],
        taxes=[books.taxes['vat20']], date=dt.date.today(), reference='RACE-1')
    books.invoice.click('post')
    return books


def run_together(books, runs=2):
    "Start the publisher for the same document in `runs` threads at once"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from ..publishing import run as publisher

    barrier = threading.Barrier(runs)
    outcomes, errors = [], []

    def run():
        try:
            with Transaction().start(books.database_name, 0):
                Invoice = Pool().get('account.invoice')
                invoice = Invoice(books.invoice.id)
                barrier.wait()
                outcomes.append(publisher.publish(invoice))
        except Exception as error:
            errors.append(error)
            raise

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes, errors


def published_logs(books):
    from proteus import Model
    Log = Model.get('kashflow.publication.log')
    return [(log.action, log.outcome) for log in Log.find(
            [('invoice', '=', books.invoice.id)], order=[('id', 'ASC')])]


def receipts(books):
    return [r['InvoiceNumber'] for r in books.kashflow.account(books.username)['receipts']
        if r['CustomerReference'] == 'RACE-1']


def test_first_publish_twice_at_once(books):
    "Two runs of a document never published: one sends it, the other nothing"
    # KashFlow is slow, so that the first run is still sending when the
    # second one starts, whichever wins the claim.
    books.kashflow.fault('InsertReceipt', 'delay', delay_ms=1000)
    outcomes, errors = run_together(books)
    assert errors == []
    assert 'published' in outcomes
    assert len(receipts(books)) == 1
    assert published_logs(books) == [('send', 'ok'), ('compare', 'ok')]


def test_retry_twice_at_once(books):
    "Two retries of a document whose answer was lost: one looks it up, the other waits"
    from proteus import Model

    books.kashflow.fault('InsertReceipt', 'drop_after_write')
    outcomes, errors = run_together(books, runs=1)
    assert outcomes == ['sending'] and errors == []
    books.kashflow.fault('GetReceiptsForSupplier', 'delay', delay_ms=1000)
    outcomes, errors = run_together(books)
    assert errors == []
    assert 'published' in outcomes
    number, = receipts(books)
    assert Model.get('account.invoice')(books.invoice.id).kashflow_number == number
    assert published_logs(books) == [('send', 'unclear'), ('lookup', 'ok'), ('compare', 'ok')]


def test_claim_at_the_same_moment(books):
    "Of two runs claiming the publication at once, one gets it, the other is told no"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from .tools import in_transaction

    def publication_id(pool):
        Invoice = pool.get('account.invoice')
        Publication = pool.get('kashflow.publication')
        return Publication.for_invoice(Invoice(books.invoice.id)).id

    id_ = in_transaction(publication_id)
    barrier = threading.Barrier(2)
    claims, errors = [], []

    def claim():
        try:
            with Transaction().start(books.database_name, 0) as transaction:
                Publication = Pool().get('kashflow.publication')
                publication, = Publication.search([('id', '=', id_)])
                # Both read the row unclaimed before either claims it.
                assert publication.claimed_at is None
                barrier.wait()
                claims.append(publication.claim())
                transaction.commit()
        except Exception as error:
            errors.append(error)
            raise

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(claims) == [False, True]


def test_two_users_press_publish_at_once(books):
    """Two users press Publish on a document never published: each press makes
    one attempt at once, the claim lets one of them send it, and the document
    is in KashFlow once; each is then told how it stands"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    barrier = threading.Barrier(2)
    answers, errors = [], []

    def press_publish():
        try:
            with Transaction().start(books.database_name, 0) as transaction:
                Invoice = Pool().get('account.invoice')
                invoice = Invoice(books.invoice.id)
                # Both see it never published before either presses.
                assert invoice.kashflow_state == 'not_published'
                barrier.wait()
                answers.append(Invoice.kashflow_publish([invoice]))
                transaction.commit()
        except Exception as error:
            errors.append(error)
            raise

    threads = [threading.Thread(target=press_publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # Both get the dialog that says how it went (an action), none an error.
    assert len(answers) == 2 and all(answers), answers

    from proteus import Model
    publications = Model.get('kashflow.publication').find(
        [('invoice', '=', books.invoice.id)])
    assert [p.state for p in publications] == ['published']
    receipts = books.kashflow.account(books.username)['receipts']
    assert [r['CustomerReference'] for r in receipts] == ['RACE-1']


def test_two_users_queue_the_same_selection_at_once(books):
    """Two users run Publish on selections with the same document, never
    published, at the same moment: one queues it, the other is told that
    someone else started, and the document has one publication"""
    from trytond.exceptions import UserError
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    barrier = threading.Barrier(2)
    queued, told = [], []

    def queue():
        with Transaction().start(books.database_name, 0) as transaction:
            Invoice = Pool().get('account.invoice')
            invoice = Invoice(books.invoice.id)
            # Both see it never published before either queues it.
            assert invoice.kashflow_state == 'not_published'
            barrier.wait()
            try:
                Invoice.kashflow_mark_queued([invoice])
                transaction.commit()
                queued.append(invoice.id)
            except UserError as error:
                transaction.rollback()
                told.append(error.message)

    threads = [threading.Thread(target=queue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert queued == [books.invoice.id]
    assert told == ["Someone else started publishing this document (or one of the "
        "selected documents) to KashFlow at the same moment. It is sent once, by "
        "them: reload to see how it went."]

    from proteus import Model
    publications = Model.get('kashflow.publication').find(
        [('invoice', '=', books.invoice.id)])
    assert [p.state for p in publications] == ['queued']
