"""Secrets stay secret, and what the server refuses it refuses itself.

The calls go through trytond's real RPC entry point (its WSGI application), as
the web client's do, so that what trytond logs of them is what a server log
would hold. The connect scenario covers the form, read, export, search and
the wizard's session; here: the logs, the publication log, the encryption
key (missing, rotated) and the rules on published documents.
"""
import base64
import datetime as dt
import json
import logging

import pytest

LOGIN_PASSWORD = 'Rpc-Login-Pw-123'


@pytest.fixture
def all_logs():
    "Every logger at DEBUG into one list of formatted lines"
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Keep(logging.DEBUG)
    handler.setFormatter(logging.Formatter(
            '%(levelname)s %(name)s %(message)s'))
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in logging.root.manager.loggerDict]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield lines
    logging.getLogger().removeHandler(handler)
    for logger, level in levels:
        logger.setLevel(level)


class Rpc:
    "A user logged in to trytond's WSGI application, calling it as sao does"

    def __init__(self, database_name, login):
        from trytond.wsgi import app
        from werkzeug.test import Client
        self.client = Client(app)
        self.url = f'/{database_name}/rpc/'
        uid, session, *_ = self._post(
            'common.db.login', [login, {'password': LOGIN_PASSWORD}, 'en'])
        token = base64.b64encode(f'{login}:{uid}:{session}'.encode()).decode()
        self.headers = {'Authorization': f'Session {token}'}
        self.context = {}
        self.context = self('model.res.user.get_preferences', True)

    def _post(self, method, params, headers=None):
        response = self.client.post(self.url, headers=headers or {}, json={
                'id': 1, 'method': method, 'params': params})
        body = json.loads(response.get_data(as_text=True))
        if body.get('error'):
            raise RuntimeError(body['error'])
        return body['result']

    def __call__(self, method, *params, context=None):
        return self._post(method, [*params, {**self.context, **(context or {})}],
            self.headers)


def set_login_password(*users):
    from proteus import Model
    User = Model.get('res.user')
    for user in users:
        user = User(user.id)
        user.password = LOGIN_PASSWORD
        user.save()


def posted_bill(books, reference):
    "A supplier bill of BT Business (known to KashFlow), posted"
    from proteus import Model
    from trytond.tests.tools import set_user

    from .tools import new_invoice

    bt = Model.get('party.party')(name="BT Business")
    bt.save()
    set_user(books.users.admin)
    books.connection.click('refresh')
    set_user(1)
    invoice = new_invoice('in', bt, [(1, '10.00', "Calls")],
        taxes=[books.taxes['vat20']], date=dt.date.today(), reference=reference)
    invoice.click('post')
    return invoice


def database_text(database_name, *tables):
    "Every row of the tables, as text"
    from trytond.transaction import Transaction
    with Transaction().start(database_name, 0):
        cursor = Transaction().connection.cursor()
        rows = []
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            rows.extend(str(row) for row in cursor.fetchall())
    return '\n'.join(rows)


def test_no_secret_in_any_log_while_connecting_and_publishing(
        connected_books, all_logs):
    from .conftest import PASSWORD
    books = connected_books
    key = books.kashflow.account(books.username)['settings']['autoauth_key']
    set_login_password(books.users.admin, books.users.publisher)
    invoice = posted_bill(books, 'SECRET-1')
    connection_id = books.connection.id
    all_logs.clear()

    # The administrator reconnects with the Connect wizard, as sao drives it.
    admin = Rpc(books.database_name, 'kashflow_admin')
    wizard = 'wizard.kashflow.connection.connect'
    active = {'active_model': 'kashflow.connection', 'active_id': connection_id,
        'active_ids': [connection_id]}
    session, _, _ = admin(f'{wizard}.create')
    start = admin(f'{wizard}.execute', session, {}, 'start', context=active)
    url = start['view']['defaults']['url']
    admin(f'{wizard}.execute', session, {'start': {
                'url': url, 'confirmed': True}}, 'check_steps', context=active)
    credentials = {'username': books.username, 'password': PASSWORD,
        'autoauth_secret': key}
    done = admin(f'{wizard}.execute', session, {'credentials': credentials},
        'connect', context=active)
    assert done['view']['state'] == 'done'
    admin(f'{wizard}.execute', session, {}, 'end', context=active)
    admin(f'{wizard}.delete', session)
    # It opens the form, and types the password again to replace it.
    form = admin('model.kashflow.connection.read', [connection_id],
        ['state', 'password', 'password_set', 'autoauth_secret',
            'autoauth_secret_set'])
    assert form == [{'id': connection_id, 'state': 'connected',
            'password': None, 'password_set': True,
            'autoauth_secret': None, 'autoauth_secret_set': True}]
    admin('model.kashflow.connection.write', [connection_id],
        {'password': PASSWORD, 'autoauth_secret': key})

    # The publisher publishes a bill, and looks at its publication log.
    publisher = Rpc(books.database_name, 'publisher')
    publisher('model.account.invoice.kashflow_publish', [invoice.id])
    published, = publisher('model.account.invoice.read', [invoice.id],
        ['kashflow_state', 'kashflow_logs'])
    assert published['kashflow_state'] == 'published'
    publisher('model.kashflow.publication.log.read', published['kashflow_logs'],
        ['action', 'outcome', 'sent', 'received'])

    logged = '\n'.join(all_logs)
    # trytond logged the calls with their arguments, KashFlow's envelopes too.
    assert 'kashflow.connection.connect.execute(' in logged, logged[-3000:]
    assert 'model.kashflow.connection.write' in logged or \
        'kashflow.connection.write(' in logged
    assert '<ns0:AutoAuthIP>' in logged or 'AutoAuthIP' in logged
    assert 'InsertReceipt' in logged
    for secret in (PASSWORD, key):
        assert secret not in logged
        assert secret not in database_text(books.database_name,
            'kashflow_publication_log', 'kashflow_publication',
            'ir_session_wizard', 'kashflow_connection')


def test_no_wizard_session_keeps_what_was_typed(connected_books):
    "Left on the credentials page after going back, or after a refusal"
    from .conftest import PASSWORD
    books = connected_books
    key = books.kashflow.account(books.username)['settings']['autoauth_key']
    set_login_password(books.users.admin)
    admin = Rpc(books.database_name, 'kashflow_admin')
    wizard = 'wizard.kashflow.connection.connect'
    connection_id = books.connection.id
    active = {'active_model': 'kashflow.connection', 'active_id': connection_id,
        'active_ids': [connection_id]}
    session, _, _ = admin(f'{wizard}.create')
    start = admin(f'{wizard}.execute', session, {}, 'start', context=active)
    admin(f'{wizard}.execute', session, {'start': {
                'url': start['view']['defaults']['url'], 'confirmed': True}},
        'check_steps', context=active)
    typed = {'username': books.username, 'password': PASSWORD,
        'autoauth_secret': key}
    admin(f'{wizard}.execute', session, {'credentials': typed}, 'start',
        context=active)  # Back
    with pytest.raises(RuntimeError, match="did not accept"):
        admin(f'{wizard}.execute', session, {'credentials': {
                    **typed, 'password': 'Wrong-Password'}}, 'connect',
            context=active)
    # Closed without Cancel: the session stays in the database.
    sessions = database_text(books.database_name, 'ir_session_wizard')
    assert books.username in sessions  # what is not secret is kept
    for secret in (PASSWORD, key, 'Wrong-Password'):
        assert secret not in sessions


def test_published_values_are_refused_by_the_server(connected_books):
    from proteus import Model
    from trytond.exceptions import UserError
    from trytond.tests.tools import set_user
    books = connected_books
    invoice = posted_bill(books, 'SECRET-2')
    Invoice = Model.get('account.invoice')
    set_user(books.users.publisher)
    invoice = Invoice(invoice.id)
    # Before publishing the publisher may change them.
    invoice.kashflow_description = "Telephone calls"
    invoice.save()
    invoice.click('kashflow_publish')
    invoice.reload()
    assert invoice.kashflow_state == 'published'

    other = books.nominals[4000]
    for name, value in [
            ('kashflow_nominal', other.id),
            ('kashflow_description', "Changed afterwards"),
            ('kashflow_paid', True),
            ('kashflow_destination', 'none')]:
        with pytest.raises(UserError) as refused:
            Invoice.write([invoice.id], {name: value}, invoice._context)
        assert refused.value.message.startswith(
            f'"{invoice.rec_name}" is published to KashFlow or being '
            'published: its KashFlow values ('), refused.value.message
    invoice.reload()
    assert invoice.kashflow_description == "Telephone calls"
    assert invoice.kashflow_nominal is None
    # Writing what it already holds is no change.
    Invoice.write([invoice.id], {'kashflow_description': "Telephone calls"},
        invoice._context)


def test_without_an_encryption_key(connected_books, all_logs, monkeypatch):
    from proteus import Model, Wizard
    from trytond.exceptions import UserError
    from trytond.tests.tools import set_user

    from .. import encryption
    books = connected_books
    set_user(books.users.admin)
    monkeypatch.setattr(encryption, 'configured_keys', lambda: [])

    # Said in the log as the module loads...
    encryption.warn_if_no_key()
    logged = '\n'.join(all_logs)
    assert "WARNING dext_kashflow.encryption No encryption key for KashFlow " \
        "passwords" in logged, logged

    # ...and on the connection's form.
    Connection = Model.get('kashflow.connection')
    connection = Connection(books.connection.id)
    assert connection.has_encryption_key is False
    view = Connection._proxy.fields_view_get(None, 'form', connection._context)
    assert 'This server has no encryption key' in view['arch']

    # Nothing new is taken, and what is stored can no longer be read.
    missing = ("This server has no encryption key for KashFlow passwords and "
        "API keys, so it cannot store them.")
    connect = Wizard('kashflow.connection.connect', [connection])
    connect.form.confirmed = True
    with pytest.raises(UserError, match=missing):
        connect.execute('check_steps')
    connection.password = 'Secret-9'
    with pytest.raises(UserError, match=missing):
        connection.save()
    connection.reload()
    with pytest.raises(UserError, match="cannot be read"):
        connection.click('refresh')


def test_keys_from_a_file(tmp_path, caplog):
    """The keys in a file (a Docker secret), when the setting itself is empty;
    a file that cannot be read counts as no key, said in the log without
    anything of the file."""
    from .. import encryption
    from .tools import set_setting

    new, old = encryption.new_key(), encryption.new_key()
    keys = tmp_path / 'kashflow-keys'
    keys.write_text(f'{new}\n{old}\n')
    saved = encryption.configured_keys()
    set_setting('secret_keys', '')
    try:
        set_setting('secret_keys_file', keys)
        assert encryption.configured_keys() == [new, old]
        set_setting('secret_keys_file', tmp_path / 'missing')
        assert encryption.configured_keys() == []
        assert "keys file" in caplog.text and "FileNotFoundError" in caplog.text
    finally:
        set_setting('secret_keys_file', None)
        set_setting('secret_keys', ','.join(saved))
    assert encryption.configured_keys() == saved


def test_keys_rotate(connected_books, monkeypatch):
    import trytond.config as config
    from proteus import Model
    from trytond.exceptions import UserError
    from trytond.pool import Pool
    from trytond.tests.tools import set_user
    from trytond.transaction import Transaction

    from .. import encryption
    books = connected_books
    old, new = config.get('dext_kashflow', 'secret_keys'), encryption.new_key()
    stored = database_text(books.database_name, 'kashflow_connection')

    def use_keys(*keys):
        monkeypatch.setattr(encryption, 'configured_keys', lambda: list(keys))

    set_user(books.users.admin)
    connection = Model.get('kashflow.connection')(books.connection.id)
    # A new key first: what the old one encrypted is still read.
    use_keys(new, old)
    connection.click('refresh')
    # Encrypted again with the new key (trytond-admin -u dext_kashflow does it),
    # the old key can go.
    with Transaction().start(books.database_name, 0) as transaction:
        Pool().get('kashflow.connection').reencrypt_secrets()
        transaction.commit()
    assert database_text(books.database_name, 'kashflow_connection') != stored
    use_keys(new)
    connection.click('refresh')
    connection.reload()
    assert connection.state == 'connected'
    # With none of the keys it was encrypted with, it says so, and a document
    # published then fails saying so, with nothing sent.
    invoice = posted_bill(books, 'KEY-1')
    use_keys(encryption.new_key())
    with pytest.raises(UserError, match="cannot be read"):
        connection.click('refresh')
    set_user(books.users.publisher)
    Invoice = Model.get('account.invoice')
    Invoice(invoice.id).click('kashflow_publish')
    invoice = Invoice(invoice.id)
    assert (invoice.kashflow_state, invoice.kashflow_failure) == ('failed', 'setup')
    assert "cannot be read" in invoice.kashflow_message
    assert "reconnect" in invoice.kashflow_hint


def test_secrets_kept_in_clear_before_are_encrypted_by_the_update(connected_books):
    "A database from before: `trytond-admin -u dext_kashflow` encrypts them"
    from proteus import Model
    from sql import Column, Null
    from trytond.pool import Pool
    from trytond.tests.tools import set_user
    from trytond.transaction import Transaction

    from .conftest import PASSWORD
    books = connected_books
    key = books.kashflow.account(books.username)['settings']['autoauth_key']
    with Transaction().start(books.database_name, 0) as transaction:
        Connection = Pool().get('kashflow.connection')
        table_h = Connection.__table_handler__('dext_kashflow')
        table_h.add_column('password', 'VARCHAR')
        table_h.add_column('autoauth_key', 'VARCHAR')
        table = Connection.__table__()
        transaction.connection.cursor().execute(*table.update(
                [Column(table, c) for c in ['password', 'autoauth_key',
                        'password_encrypted', 'autoauth_secret_encrypted']],
                [PASSWORD, key, Null, Null]))
        transaction.commit()
    with Transaction().start(books.database_name, 0) as transaction:
        Connection = Pool().get('kashflow.connection')
        Connection.__register__('dext_kashflow')
        table_h = Connection.__table_handler__('dext_kashflow')
        assert not table_h.column_exist('password')
        assert not table_h.column_exist('autoauth_key')
        transaction.commit()
    stored = database_text(books.database_name, 'kashflow_connection')
    assert PASSWORD not in stored and key not in stored
    set_user(books.users.admin)
    connection = Model.get('kashflow.connection')(books.connection.id)
    assert (connection.password_set, connection.autoauth_secret_set) == (True, True)
    connection.click('refresh')  # KashFlow still lets it in
    connection.reload()
    assert connection.state == 'connected'
