"""Exactly once over KashFlow's REST API, whatever KashFlow does to a write.

Over REST a paid bill and its payment are one call: a fault on it must leave
KashFlow with the bill once and its payment once. A supplier created for a
bill, and a credit note set against its invoice, are not done twice after
an answer lost on the way either. (The scenarios run over REST too; this
is the fault matrix on the calls only REST makes.)
"""
import datetime as dt
from decimal import Decimal

import pytest

REST = pytest.mark.parametrize('connected_books', ['rest'], indirect=True)
FAULTS = ['error_before', 'drop_after_write', 'http_500', 'delay', 'rate_limit']


@pytest.fixture
def books(connected_books):
    """Connected over REST, BT Business linked and its documents published
    as paid by BACS from the current account; the client waits a second for
    an answer, and a write without one may land for two more"""
    from proteus import Model
    from trytond.tests.tools import set_user

    from .tools import set_kashflow_timeout, set_late_write_margin

    books = connected_books
    assert books.connection.protocol == 'rest'
    bt = Model.get('party.party')(name="BT Business")
    bt.save()
    set_user(books.users.admin)
    books.connection.click('refresh')
    Rule = Model.get('kashflow.partner_rule')
    rule = Rule(party=bt, kind='supplier', paid=True)
    rule.payment_method, = Model.get('kashflow.payment_method').find(
        [('kind', '=', 'receipt'), ('name', '=', 'BACS')])
    rule.bank_account, = Model.get('kashflow.bank_account').find(
        [('name', '=', 'Current Account')])
    rule.save()
    set_user(1)
    books.bt = bt
    set_kashflow_timeout(1)
    set_late_write_margin(2)
    return books


def posted(books, party, reference, amount='10.00', type_='in'):
    from trytond.tests.tools import set_user

    from .tools import new_invoice
    set_user(1)
    invoice = new_invoice(type_, party, [(1, amount, "Calls")],
        taxes=[books.taxes['vat20']], date=dt.date.today(), reference=reference)
    invoice.click('post')
    return invoice


def publish_until_published(books, invoice, button='kashflow_publish'):
    """The publisher's clicks: Publish, then Retry once a retry may send
    (as the cron would); what the first click left"""
    from proteus import Model
    from trytond.tests.tools import set_user

    from .tools import wait_until_resendable
    Invoice = Model.get('account.invoice')
    set_user(books.users.publisher)
    Invoice(invoice.id).click(button)
    first = Invoice(invoice.id).kashflow_state
    for _ in range(10):
        if Invoice(invoice.id).kashflow_state == 'published':
            break
        wait_until_resendable(Invoice(invoice.id))
        Invoice(invoice.id).click('kashflow_retry')
    set_user(1)
    assert Invoice(invoice.id).kashflow_state == 'published', Invoice(
        invoice.id).kashflow_message
    return first


@REST
@pytest.mark.parametrize('fault', FAULTS)
def test_a_paid_bill_lands_once_with_its_payment(books, fault):
    from proteus import Model
    bill = posted(books, books.bt, f'RF-{fault}')
    books.kashflow.fault('POST /purchases', fault, delay_ms=2500)
    publish_until_published(books, bill)

    state = books.kashflow.account(books.username)
    receipts = [r for r in state['receipts'] if r['CustomerReference'] == f'RF-{fault}']
    assert [(r['NetAmount'], r['VATAmount'], r['AmountPaid']) for r in receipts] == [
        ('10.00', '2.00', '12.00')]
    number = receipts[0]['InvoiceNumber']
    assert Model.get('account.invoice')(bill.id).kashflow_number == number
    assert [(p['PayAmount'], p['kind']) for p in state['payments']
        if p['PayInvoice'] == number] == [('12.00', 'receipt')]
    # The payment rode with the bill: no call of its own.
    logs = Model.get('kashflow.publication.log').find([('invoice', '=', bill.id)])
    assert 'payment' not in {log.action for log in logs}


@REST
def test_a_new_supplier_and_a_credit_are_not_made_twice_after_a_lost_answer(books):
    from proteus import Model, Wizard
    from trytond.tests.tools import set_user

    # A stranger's bill: its rule creates the supplier, whose answer is lost.
    set_user(1)
    stranger = Model.get('party.party')(name="Quill & Ink Stationers")
    stranger.save()
    set_user(books.users.admin)
    rule = Model.get('kashflow.partner_rule')(party=stranger, kind='supplier')
    rule.create_in_kashflow = True
    rule.nominal = books.nominals[7502]
    rule.save()
    bill = posted(books, stranger, 'QI-1')
    books.kashflow.fault('POST /suppliers', 'drop_after_write')
    publish_until_published(books, bill)
    state = books.kashflow.account(books.username)
    assert [s['Name'] for s in state['suppliers']].count("Quill & Ink Stationers") == 1
    assert [r['CustomerReference'] for r in state['receipts']].count('QI-1') == 1

    # A sale and its credit note: the credit's answer is lost.
    set_user(1)
    acme = Model.get('party.party')(name="Acme Trading Ltd")
    acme.save()
    set_user(books.users.admin)
    books.connection.click('refresh')
    sale = posted(books, acme, None, amount='100.00', type_='out')
    publish_until_published(books, sale)
    set_user(1)
    credit = Wizard('account.invoice.credit', [Model.get('account.invoice')(sale.id)])
    credit.form.with_refund = False
    credit.execute('credit')
    credit_note, = Model.get('account.invoice').find(
        [('type', '=', 'out'), ('total_amount', '<', 0)])
    credit_note.click('post')
    books.kashflow.fault('POST /internal/invoices/<invoice_id>/credits', 'drop_after_write')
    publish_until_published(books, credit_note)
    state = books.kashflow.account(books.username)
    assert [(a['Amount']) for a in state['credit_allocations']] == ['120.00']
    invoice, = [i for i in state['invoices']
        if i['InvoiceNumber'] == Model.get('account.invoice')(sale.id).kashflow_number]
    assert Decimal(invoice['AmountPaid']) == Decimal('120.00')


@REST
def test_a_file_that_landed_without_an_answer_is_not_sent_again(books):
    """Over REST, Send Files Again looks at the document's files in KashFlow
    first (SOAP cannot): the file whose answer was lost is there, so only
    the one that did not land is sent."""
    from proteus import Model
    from trytond.tests.tools import set_user

    from .tools import wait_until_resendable
    bill = posted(books, books.bt, 'RF-FILES')
    set_user(1)
    Attachment = Model.get('ir.attachment')
    Invoice = Model.get('account.invoice')
    bill = Invoice(bill.id)
    for name in ('landed.pdf', 'lost.pdf'):
        Attachment(resource=bill, name=name, type='data',
            data=b'%PDF-1.4 ' + name.encode()).save()
    files = 'POST /purchases/<number>/files'
    books.kashflow.fault(files, 'drop_after_write')  # landed, its answer lost
    books.kashflow.fault(files, 'error_before')  # never got there, KashFlow said so late
    set_user(books.users.publisher)
    Invoice(bill.id).click('kashflow_publish')
    bill = Invoice(bill.id)
    assert (bill.kashflow_state, bill.kashflow_file_unconfirmed) == ('published', True)

    def held():
        state = books.kashflow.account(books.username)
        return sorted(a['Filename'] for a in state['attachments']
            if a.get('ReceiptNo') == bill.kashflow_number)
    assert held() == ['landed.pdf']

    wait_until_resendable(bill)
    Invoice(bill.id).click('kashflow_resend_files')
    bill = Invoice(bill.id)
    assert (bill.kashflow_state, bill.kashflow_file_unconfirmed, bill.kashflow_warning) == (
        'published', False, None)
    assert held() == ['landed.pdf', 'lost.pdf']
    found = [log.received_text for log in bill.kashflow_logs if log.action == 'attachment'
        and 'not sent again' in (log.received_text or '')]
    assert found == ['KashFlow has the file landed.pdf already: it was not sent again.']
