"""KashFlow asks us to slow down: every run on the connection waits, not
only the one that was told (publishing/pace.py)."""
import datetime as dt

import pytest

# Longer than the test takes on a busy machine: the test ends the pause itself.
PAUSE = 60  # seconds


@pytest.fixture
def books(connected_books):
    """The connected company with BT Business linked and two bills posted,
    PACE-1 and PACE-2; a short pause and retry delay"""
    from proteus import Model
    from trytond.tests.tools import set_user

    from .tools import new_invoice, set_setting

    books = connected_books
    bt = Model.get('party.party')(name="BT Business")
    bt.save()
    set_user(books.users.admin)
    books.connection.click('refresh')
    set_user(1)
    books.invoices = []
    for reference in ['PACE-1', 'PACE-2']:
        invoice = new_invoice('in', bt, [(1, '10.00', "Calls")],
            taxes=[books.taxes['vat20']], date=dt.date.today(), reference=reference)
        invoice.click('post')
        books.invoices.append(invoice)
    set_setting('rate_limit_pause', PAUSE)
    set_setting('retry_delays', 1)
    try:
        yield books
    finally:
        set_setting('rate_limit_pause', None)
        set_setting('retry_delays', None)


def test_a_rate_limit_pauses_the_connection_for_every_run(books):
    from proteus import Model, Wizard
    from trytond.tests.tools import set_user

    from .tools import end_pause, make_retry_due

    Invoice = Model.get('account.invoice')
    first, second = books.invoices

    def shown(invoice):
        invoice = Invoice(invoice.id)
        return invoice.kashflow_state, invoice.kashflow_failure, invoice.kashflow_message

    def in_kashflow():
        return sorted(r['CustomerReference']
            for r in books.kashflow.account(books.username)['receipts'])

    # KashFlow says "too many requests" to the first bill, which a person
    # publishes (one attempt).
    books.kashflow.clear_faults()
    books.kashflow.fault('InsertReceipt', 'rate_limit')
    set_user(books.users.publisher)
    started = dt.datetime.now()
    first.click('kashflow_publish')
    assert shown(first) == ('failed', 'unavailable',
        "KashFlow is busy and asked us to slow down; nothing was changed in KashFlow.")

    # The second, published in the background (the Publish wizard, as the
    # queue does), is not sent while the connection is paused: it waits,
    # saying why and until when.
    publish = Wizard('kashflow.publish', [Invoice(second.id)])
    publish.execute('publish')
    assert (publish.form.published, publish.form.queued, publish.form.failed) == (0, 1, 0)
    state, failure, message = shown(second)
    assert (state, failure) == ('queued', None)
    assert message.startswith(
        "KashFlow asked us to slow down; retried automatically at "), message
    assert message in publish.form.report
    assert books.kashflow.calls().get('InsertReceipt') == 1
    assert in_kashflow() == []

    # The retries wait for the pause too, even once their time has come.
    set_user(1)
    Connection = Model.get('kashflow.connection')
    paused_until = Connection(books.connection.id).paused_until
    # (Kept to the second: the click's own fraction of a second may be lost.)
    assert paused_until >= (started + dt.timedelta(seconds=PAUSE)).replace(
        microsecond=0)
    cron, = Model.get('ir.cron').find(
        [('method', '=', 'account.invoice|kashflow_retry_due')])
    for invoice in books.invoices:
        make_retry_due(invoice)
    cron.click('run_once')
    assert books.kashflow.calls().get('InsertReceipt') == 1
    assert in_kashflow() == []

    # Once it ends, the retry publishes both, once each.
    end_pause(books.connection)
    for invoice in books.invoices:
        make_retry_due(invoice)
    cron.click('run_once')
    assert in_kashflow() == ['PACE-1', 'PACE-2']
    assert [shown(i)[:2] for i in books.invoices] == [
        ('published', None), ('published', None)]
    assert books.kashflow.calls().get('InsertReceipt') == 3
