"""Helpers for the scenarios. The mock KashFlow in this process (MockKashFlow)
and the books they start from (make_books, then set_up_books) are shared with
the benchmarks: they live in mock_kashflow and in the repository's
demo/books.py."""
import datetime as dt
import os
import socket
import sys
import time
from pathlib import Path

from mock_kashflow import MockKashFlow  # noqa: F401 (for the scenarios)

# The repository the module is installed from (editable), as conftest.py's var/.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / 'demo'))
import books  # noqa: E402
from books import make_books  # noqa: E402, F401 (for the scenarios)

TIMEOUT = 10
# conftest.py runs the scenarios of BOTH_APIS a second time over REST.
SCENARIO_API = 'KASHFLOW_SCENARIO_API'


def scenario_api():
    "The KashFlow API this run of a scenario connects with: soap or rest"
    return os.environ.get(SCENARIO_API, 'soap')


# The mock's names of the KashFlow calls over REST, by their SOAP names.
REST_OPERATIONS = {
    'InsertSupplier': 'POST /suppliers',
    'InsertCustomer': 'POST /customers',
    'InsertReceipt': 'POST /purchases',
    'InsertInvoice': 'POST /invoices',
    'GetReceipt': 'GET /purchases/<number>',
    'GetInvoice': 'GET /invoices/<number>',
    'GetReceiptsForSupplier': 'GET /purchases',
    'GetInvoicesForCustomer': 'GET /invoices',
    'AttachFileToReceipt': 'POST /purchases/<number>/files',
    'AttachFileToInvoice': 'POST /invoices/<number>/files',
    'applyCreditNoteToInvoice': 'POST /internal/invoices/<invoice_id>/credits',
    'GetSuppliers': 'GET /suppliers',
    'GetCustomers': 'GET /customers',
    'GetNominalCodes': 'GET /nominals',
    }


def operation(name):
    """The mock's name (for its faults and call counts) of the KashFlow call
    SOAP names name, over the API of this run of the scenario"""
    return REST_OPERATIONS[name] if scenario_api() == 'rest' else name


def kashflow_client(kashflow, username, password):
    """A client of the mock account over the API of this run of the scenario,
    as another app typing into KashFlow would be"""
    from kashflow import KashFlowClient, KashFlowRestClient
    if scenario_api() == 'rest':
        word = kashflow.account(username)['settings']['memorable_word']
        return KashFlowRestClient(username, password, word, url=kashflow.rest_url)
    return KashFlowClient(username, password, url=kashflow.service_url)


def connect_kashflow(connection, kashflow, username, password, key):
    "books.connect over the API of this run of the scenario"
    books.connect(connection, kashflow, username, password, key, api=scenario_api())


def set_up_books(kashflow, username, password, key):
    "books.set_up_books over the API of this run of the scenario"
    return books.set_up_books(kashflow, username, password, key,
        api=scenario_api())


def wait_for(condition, timeout=TIMEOUT, step=0.05):
    "Wait until condition() is true, e.g. for the mock to finish a slow call"
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("The condition did not become true in time")
        time.sleep(step)
    return True


def set_kashflow_timeout(seconds):
    """Set trytond's [dext_kashflow] timeout, read at each call to KashFlow;
    None removes it (the default applies again)."""
    set_setting('timeout', seconds)


def set_late_write_margin(seconds):
    """Set how long after the timeout a write without an answer may still
    land in KashFlow ([dext_kashflow] late_write_margin); None: the default."""
    set_setting('late_write_margin', seconds)


def set_setting(name, value):
    "Set trytond's [dext_kashflow] name to value; None removes it"
    import trytond.config as config
    if not config._config.has_section('dext_kashflow'):
        config._config.add_section('dext_kashflow')
    if value is None:
        config._config.remove_option('dext_kashflow', name)
        config._cache_clear()
    else:
        config.set('dext_kashflow', name, str(value))


def wait_until_resendable(invoice):
    """Wait until a write of invoice's publication that got no answer can no
    longer land in KashFlow (its resend_after)"""
    from proteus import Model
    Publication = Model.get('kashflow.publication')
    publication, = Publication.find([('invoice', '=', invoice.id)])
    if publication.resend_after:
        wait = (publication.resend_after - dt.datetime.now()).total_seconds()
        time.sleep(max(0, wait) + 0.1)


def redirecting_url(target):
    """A service URL whose server answers every request with a redirect to
    target (an old address, or a trap), and counts what reaches target"""
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(307)
            self.send_header('Location', target)
            self.send_header('Content-Length', '0')
            self.end_headers()
        do_GET = do_POST

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f'http://127.0.0.1:{server.server_address[1]}/api/service.asmx'


def closed_port_url():
    "A service URL on which nothing listens"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return f'http://127.0.0.1:{port}/api/service.asmx'


def new_invoice(type_, party, lines, taxes=(), date=None, reference=None,
        currency=None):
    """A draft invoice of type_ ('in' or 'out') for party with lines given as
    (quantity, unit_price, description) or with a 4th item, the line's taxes;
    in currency (the company's if None)."""
    from decimal import Decimal

    from proteus import Model
    from trytond.modules.account.tests.tools import get_accounts

    Invoice = Model.get('account.invoice')
    invoice = Invoice(type=type_, party=party)
    if currency:
        invoice.currency = currency
    if date:
        invoice.invoice_date = date
    if reference:
        invoice.reference = reference
    accounts = get_accounts()
    for item in lines:
        quantity, unit_price, description = item[:3]
        line_taxes = item[3] if len(item) > 3 else taxes
        line = invoice.lines.new()
        line.account = accounts['expense' if type_ == 'in' else 'revenue']
        line.description = description
        line.quantity = Decimal(str(quantity))
        line.unit_price = Decimal(str(unit_price))
        for tax in line_taxes:
            line.taxes.append(type(tax)(tax.id))
    invoice.save()
    return invoice


def in_transaction(function):
    """Run function(pool) in a trytond transaction of its own, committed, as
    the queue worker or the cron of another process would."""
    from proteus import config as pconfig
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    database_name = pconfig.get_config().database_name
    with Transaction().start(database_name, 0) as transaction:
        result = function(Pool())
        transaction.commit()
    return result


def make_retry_due(invoice):
    "Move the next automatic retry of invoice's publication to now, as if its wait had passed"
    def due(pool):
        Publication = pool.get('kashflow.publication')
        publication, = Publication.search([('invoice', '=', invoice.id)])
        Publication.write([publication], {
                'next_attempt': dt.datetime.now() - dt.timedelta(seconds=1)})
    in_transaction(due)


def end_pause(connection):
    "End the pause KashFlow's rate limit put on connection (pace.py), as if it had passed"
    def end(pool):
        Connection = pool.get('kashflow.connection')
        Connection.write([Connection(connection.id)], {'paused_until': None})
    in_transaction(end)


def hold_publication(invoice):
    """Claim invoice's publication as a run in another worker does, which has
    committed it "sending" before its call to KashFlow and not finished yet"""
    def hold(pool):
        Invoice = pool.get('account.invoice')
        Publication = pool.get('kashflow.publication')
        publication = Publication.for_invoice(Invoice(invoice.id))
        assert publication.claim()
        Publication.write([Publication(publication.id)], {
                'state': 'sending', 'document_sent_at': dt.datetime.now()})
    in_transaction(hold)


def age_claim(invoice, minutes):
    "Date the claim on invoice's publication minutes back, as if its run had died then"
    def age(pool):
        Publication = pool.get('kashflow.publication')
        publication, = Publication.search([('invoice', '=', invoice.id)])
        Publication.write([publication], {
                'claimed_at': dt.datetime.now() - dt.timedelta(minutes=minutes)})
    in_transaction(age)
