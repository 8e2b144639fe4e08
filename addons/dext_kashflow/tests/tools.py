"Helpers for the scenarios: an in-process mock KashFlow and its control API."
import datetime as dt
import logging
import socket
import time

import requests

from mock_kashflow import ThreadedMockServer

TIMEOUT = 10


class MockKashFlow:
    "A mock KashFlow server on a free port, with one shortcut per control call"

    def __init__(self):
        logging.getLogger('werkzeug').setLevel(logging.ERROR)
        self.server = ThreadedMockServer().start()
        self.url = self.server.url
        self.service_url = self.server.service_url

    def stop(self):
        self.server.stop()

    def _call(self, method, path, json=None):
        response = requests.request(
            method, f'{self.url}/_mock/{path}', json=json, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()

    def create_account(self, username, password, seed='demo'):
        "Create an account and return its AutoAuth key"
        return self._call('POST', 'accounts', {
                'username': username, 'password': password, 'seed': seed,
                })['autoauth_key']

    def account(self, username):
        return self._call('GET', f'accounts/{username}')

    def settings(self, username, **values):
        return self._call('PATCH', f'accounts/{username}/settings', values)

    def add(self, username, collection, records):
        return self._call(
            'POST', f'accounts/{username}/{collection}', records)['ids']

    def update(self, username, collection, record_id, **values):
        return self._call(
            'PATCH', f'accounts/{username}/{collection}/{record_id}', values)

    def delete(self, username, collection, record_id):
        return self._call(
            'DELETE', f'accounts/{username}/{collection}/{record_id}')

    def fault(self, operation, kind, times=1, delay_ms=0):
        "Make the next `times` calls of operation fail as kind"
        return self._call('POST', 'faults', {
                'operation': operation, 'kind': kind, 'times': times,
                'delay_ms': delay_ms,
                })

    def faults(self):
        "The faults still to happen"
        return self._call('GET', 'faults')

    def clear_faults(self):
        return self._call('DELETE', 'faults')

    def calls(self):
        "The SOAP calls the mock received since its reset, by operation"
        return self._call('GET', 'calls')


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


TAXES = [
    ('vat20', "VAT 20%", '.20'),
    ('vat5', "VAT 5%", '.05'),
    ('zero', "VAT 0% zero rated", '0'),
    ('exempt', "VAT exempt", '0')]
USERS = [
    ('admin', 'kashflow_admin', ("KashFlow Administrator", "Accounting")),
    ('publisher', 'publisher', ("KashFlow Publisher", "Accounting")),
    ('clerk', 'clerk', ("Accounting",))]


def make_books(config=None):
    """A GBP company with a chart, a fiscal year, UK VAT and users, for the
    publishing scenarios: activate_modules(MODULE, make_books) makes them once
    and then restores them from trytond's database cache (the conftest makes
    that cache before the tests run). set_up_books connects them to KashFlow."""
    from decimal import Decimal

    from proteus import Model
    from trytond.modules.account.tests.tools import create_chart, create_fiscalyear, create_tax
    from trytond.modules.account_invoice.tests.tools import set_fiscalyear_invoice_sequences
    from trytond.modules.company.tests.tools import create_company, get_company
    from trytond.modules.currency.tests.tools import get_currency

    create_company(currency=get_currency('GBP'))
    company = get_company()
    create_chart(company)
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(company, today=dt.date.today()))
    fiscalyear.click('create_period')

    for _, name, rate in TAXES:
        tax = create_tax(Decimal(rate), company)
        tax.name = tax.description = name
        tax.save()

    User = Model.get('res.user')
    Group = Model.get('res.group')
    Company = Model.get('company.company')
    for _, login, group_names in USERS:
        user = User(name=login, login=login)
        for group_name in group_names:
            group, = Group.find([('name', '=', group_name)])
            user.groups.append(group)
        user.companies.append(Company(company.id))
        user.company = Company(company.id)
        user.save()

    # The scenario's own user (admin) creates and posts the documents and
    # looks at everything, so it is a KashFlow administrator too.
    root = User(1)
    root.groups.append(Group.find([('name', '=', "KashFlow Administrator")])[0])
    root.save()


def set_up_books(kashflow, username, password, key):
    """The books of make_books connected to the mock account, with accounts
    and taxes mapped. Returns the objects the scenarios use, by name."""
    from types import SimpleNamespace

    from proteus import Model, Wizard
    from trytond.modules.account.tests.tools import get_accounts
    from trytond.modules.company.tests.tools import get_company
    from trytond.tests.tools import set_user

    company = get_company()
    accounts = get_accounts(company)
    Tax = Model.get('account.tax')
    taxes = {key_: Tax.find([('name', '=', name)])[0] for key_, name, _ in TAXES}
    User = Model.get('res.user')
    users = SimpleNamespace(**{
            name: User.find([('login', '=', login)])[0] for name, login, _ in USERS})

    set_user(users.admin)
    Connection = Model.get('kashflow.connection')
    connection = Connection(url=kashflow.service_url)
    connection.save()
    connect = Wizard('kashflow.connection.connect', [connection])
    connect.form.confirmed = True
    connect.execute('check_steps')
    connect.form.username = username
    connect.form.password = password
    connect.form.autoauth_secret = key
    connect.execute('connect')
    connect.execute('end')
    connection.reload()

    Nominal = Model.get('kashflow.nominal')
    AccountMapping = Model.get('kashflow.account_mapping')
    nominals = {int(n.code): n for n in Nominal.find([])}
    for account, code in [(accounts['expense'], 7502), (accounts['revenue'], 4000)]:
        AccountMapping(connection=connection, account=account,
            nominal=nominals[code]).save()
    connection.click('suggest_mappings')
    set_user(1)
    return SimpleNamespace(company=company, accounts=accounts, taxes=taxes,
        users=users, connection=connection, nominals=nominals)


def new_invoice(type_, party, lines, taxes=(), date=None, reference=None):
    """A draft invoice of type_ ('in' or 'out') for party with lines given as
    (quantity, unit_price, description) or with a 4th item, the line's taxes."""
    from decimal import Decimal

    from proteus import Model
    from trytond.modules.account.tests.tools import get_accounts

    Invoice = Model.get('account.invoice')
    invoice = Invoice(type=type_, party=party)
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
