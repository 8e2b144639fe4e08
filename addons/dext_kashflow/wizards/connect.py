"""Connect software: the Dext way of connecting a company to KashFlow.

The first page lists what to do in KashFlow, the second takes the username,
password and API key (the AutoAuth key), and the connection is saved only
once KashFlow has let us in. The same wizard reconnects an existing
connection, keeping its lists and mappings.
"""
import datetime as dt
import logging

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from kashflow import KashFlowClient
from kashflow.errors import AutoAuthError, KashFlowError

from ..exceptions import ConnectError
from ..models.connection import APP_NAME, api_settings_url, default_service_url, timeout
from ..models.connection_secrets import check_encryption_key
from ..publishing.outcomes import connect_error

logger = logging.getLogger(__name__)


class ConnectStart(ModelView):
    __name__ = 'kashflow.connection.connect.start'
    __string__ = "Connect to KashFlow"
    url = fields.Char("Service URL", required=True,
        states={'readonly': Eval('reconnecting', False)})
    reconnecting = fields.Boolean("Reconnecting", readonly=True)
    api_settings = fields.Char("KashFlow API Settings", readonly=True)
    confirmed = fields.Boolean(
        "I have completed all of the above steps",
        help="Required to go on.")

    @fields.depends('url')
    def on_change_with_api_settings(self, name=None):
        return api_settings_url(self.url)


class ConnectCredentials(ModelView):
    __name__ = 'kashflow.connection.connect.credentials'
    __string__ = "Connect to KashFlow"
    username = fields.Char(
        "KashFlow Username", required=True,
        help="The username shown on KashFlow's API Settings page.")
    # "password" and "secret" in the names keep the values out of trytond's
    # RPC log; the wizard never keeps them in its session (see _save).
    password = fields.Char("KashFlow Password", required=True, strip=False)
    autoauth_secret = fields.Char(
        "API Key", required=True,
        help="The AutoAuth key copied from KashFlow's API Settings page.")


class ConnectDone(ModelView):
    __name__ = 'kashflow.connection.connect.done'
    __string__ = "Connected to KashFlow"
    kashflow_company = fields.Char("KashFlow Company", readonly=True)


class Connect(Wizard):
    __name__ = 'kashflow.connection.connect'
    start = StateView(
        'kashflow.connection.connect.start',
        'dext_kashflow.connect_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Next", 'check_steps', 'tryton-forward', default=True),
            ])
    check_steps = StateTransition()
    credentials = StateView(
        'kashflow.connection.connect.credentials',
        'dext_kashflow.connect_credentials_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Back", 'start', 'tryton-back'),
            Button("Connect", 'connect', 'tryton-ok', default=True),
            ])
    connect = StateTransition()
    done = StateView(
        'kashflow.connection.connect.done',
        'dext_kashflow.connect_done_view_form', [
            Button("Finish", 'end', 'tryton-ok', default=True),
            ])

    def _connection(self):
        "The connection to (re)connect, None when the company has none yet"
        Connection = Pool().get('kashflow.connection')
        if self.model and self.model.__name__ == Connection.__name__:
            return self.record
        connections = Connection.search([
                ('company', '=', Transaction().context.get('company')),
                ], limit=1)
        return connections[0] if connections else None

    def default_start(self, fields):
        connection = self._connection()
        url = connection.url if connection else default_service_url()
        return {
            'url': url,
            'reconnecting': bool(connection and connection.state != 'not_connected'),
            'api_settings': api_settings_url(url),
            'confirmed': False,
            }

    def transition_check_steps(self):
        if not self.start.confirmed:
            raise ConnectError(gettext('dext_kashflow.msg_connect_confirm'))
        connection = self._connection()
        if connection:  # said before anything is sent to another URL
            Pool().get('kashflow.connection').check_url_unchanged(
                [[connection], {'url': self.start.url.strip()}])
        check_encryption_key()
        return 'credentials'

    def default_credentials(self, fields):
        connection = self._connection()
        return {'username': connection.username if connection else None}

    def transition_connect(self):
        pool = Pool()
        Connection = pool.get('kashflow.connection')
        credentials = self.credentials
        url = self.start.url.strip()
        key = credentials.autoauth_secret.strip()
        # Without a key to keep them encrypted, nothing is sent to KashFlow.
        check_encryption_key()
        details = handshake(
            url, credentials.username.strip(), credentials.password, key)
        connection = self._connection()
        if connection is None:
            connection = Connection(
                company=Transaction().context.get('company'))
        connection.url = url
        connection.username = credentials.username.strip()
        connection.state = 'connected'
        connection.state_message = None
        connection.kashflow_company = details.name
        connection.connected_at = dt.datetime.now()
        connection.save()
        Connection.store_secrets(
            [connection], password=credentials.password, autoauth_secret=key)
        Connection.queue_refresh([connection])
        return 'done'

    def _save(self):
        # The session is stored in the database at each step, and stays there
        # when the wizard is abandoned: never with the typed secrets.
        self.credentials.password = None
        self.credentials.autoauth_secret = None
        super()._save()

    def default_done(self, fields):
        connection = self._connection()
        return {
            'kashflow_company': connection.kashflow_company
            if connection else None,
            }


def handshake(url, username, password, key):
    """Let this server in with AutoAuthIP, then prove it with a real call.

    Return KashFlow's company details or raise a ConnectError saying what to
    fix. AutoAuth's refusal is reported with the call that follows it: when
    KashFlow then refuses our address, the address is what the user sees.
    """
    # One attempt: a person is waiting on the button.
    with KashFlowClient(
            username, password, url=url, timeout=timeout(), max_retries=0,
            app_name=APP_NAME) as client:
        return _handshake(client, url, key)


def _handshake(client, url, key):
    try:
        return _autoauth_then_check(client, url, key)
    except ConnectError as error:
        # The client's own words (operations, HTTP statuses) are for the log.
        logger.info("Connecting to KashFlow at %s failed: %s", url,
            error.__cause__)
        raise


def _autoauth_then_check(client, url, key):
    autoauth_error = None
    try:
        client.auto_auth_ip(key)
    except AutoAuthError as error:
        autoauth_error = error
    except KashFlowError as error:
        raise connect_error(error, url) from error
    try:
        details = client.get_company_details()
    except KashFlowError as error:
        raise connect_error(error, url, autoauth_error) from error
    if autoauth_error:
        raise connect_error(autoauth_error, url) from autoauth_error
    return details
