"""Connect software: the Dext way of connecting a company to KashFlow.

The first page chooses the API (SOAP or REST) and lists what to do in
KashFlow, the second takes the username, the password and, for SOAP, the API
key (the AutoAuth key) or, for REST, the memorable word; the connection is
saved only once KashFlow has let us in. The same wizard reconnects an
existing connection, keeping its lists and mappings, and moves it from one
API to the other (for the same KashFlow user).
"""
import datetime as dt
import logging

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from kashflow import KashFlowClient, KashFlowRestClient
from kashflow.errors import AutoAuthError, KashFlowError

from ..exceptions import ConnectError
from ..models.connection import (
    APP_NAME,
    PROTOCOLS,
    api_settings_url,
    default_service_url,
    timeout,
)
from ..models.connection_secrets import check_encryption_key
from ..publishing.outcomes import connect_error

logger = logging.getLogger(__name__)


class ConnectStart(ModelView):
    __name__ = 'kashflow.connection.connect.start'
    __string__ = "Connect to KashFlow"
    protocol = fields.Selection(PROTOCOLS, "KashFlow API", required=True)
    # Reconnecting, the address changes only with the API.
    url = fields.Char("Service URL", required=True,
        states={'readonly': Eval('reconnecting', False)
            & (Eval('protocol') == Eval('connected_protocol'))})
    reconnecting = fields.Boolean("Reconnecting", readonly=True)
    connected_protocol = fields.Char("Connected Protocol", readonly=True)
    api_settings = fields.Char("KashFlow API Settings", readonly=True)
    confirmed = fields.Boolean(
        "I have completed all of the above steps",
        help="Required to go on.")

    @fields.depends('url')
    def on_change_with_api_settings(self, name=None):
        return api_settings_url(self.url)

    @fields.depends('protocol', 'url')
    def on_change_protocol(self):
        "The other API's address, unless one was typed"
        defaults = {default_service_url(p) for p, _ in PROTOCOLS}
        if self.protocol and (not self.url or self.url in defaults):
            self.url = default_service_url(self.protocol)

    @classmethod
    def view_attributes(cls):
        # The steps in KashFlow for the API chosen.
        return super().view_attributes() + [
            (f'//group[@id="steps_{protocol}"]', 'states', {
                    'invisible': Eval('protocol') != protocol})
            for protocol, _ in PROTOCOLS]


class ConnectCredentials(ModelView):
    __name__ = 'kashflow.connection.connect.credentials'
    __string__ = "Connect to KashFlow"
    username = fields.Char(
        "KashFlow Username", required=True,
        help="The username shown on KashFlow's API Settings page.")
    # "password" and "secret" in the names keep the values out of trytond's
    # RPC log; the wizard never keeps them in its session (see _save).
    password = fields.Char("KashFlow Password", required=True, strip=False)
    # One of the two, by the API (a view each: connect_credentials_form,
    # connect_rest_credentials_form).
    autoauth_secret = fields.Char(
        "API Key",
        help="The AutoAuth key copied from KashFlow's API Settings page.")
    memorable_word_secret = fields.Char(
        "Memorable Word", strip=False,
        help="Your KashFlow memorable word: KashFlow asks for three of its "
        "letters at each login. It is kept encrypted, never shown.")


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
    rest_credentials = StateView(
        'kashflow.connection.connect.credentials',
        'dext_kashflow.connect_rest_credentials_view_form', [
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
            'protocol': connection.protocol if connection else 'soap',
            'connected_protocol': connection.protocol if connection else None,
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
                [[connection], {'url': self.start.url.strip(),
                        'protocol': self.start.protocol or 'soap'}])
        check_encryption_key()
        return 'rest_credentials' if self.start.protocol == 'rest' else 'credentials'

    def default_credentials(self, fields):
        connection = self._connection()
        return {'username': connection.username if connection else None}

    default_rest_credentials = default_credentials

    def transition_connect(self):
        pool = Pool()
        Connection = pool.get('kashflow.connection')
        url, protocol = self.start.url.strip(), self.start.protocol or 'soap'
        credentials = (self.rest_credentials if protocol == 'rest'
            else self.credentials)
        username = credentials.username.strip()
        connection = self._connection()
        if (connection and connection.state != 'not_connected'
                and protocol != connection.protocol
                and username != connection.username):
            # Another user may be another KashFlow account: its lists and
            # documents are not this connection's.
            raise ConnectError(gettext('dext_kashflow.msg_connect_other_user',
                    username=connection.username))
        # Without a key to keep them encrypted, nothing is sent to KashFlow.
        check_encryption_key()
        if protocol == 'rest':
            if not credentials.memorable_word_secret:
                raise ConnectError(gettext('dext_kashflow.msg_connect_no_memorable_word'))
            secrets = {'memorable_word_secret': credentials.memorable_word_secret}
            details = rest_handshake(url, username, credentials.password,
                credentials.memorable_word_secret)
        else:
            if not (credentials.autoauth_secret or '').strip():
                raise ConnectError(gettext('dext_kashflow.msg_connect_no_key'))
            secrets = {'autoauth_secret': credentials.autoauth_secret.strip()}
            details = handshake(url, username, credentials.password,
                secrets['autoauth_secret'])
        if connection is None:
            connection = Connection(
                company=Transaction().context.get('company'))
        connection.protocol = protocol
        connection.url = url
        connection.username = username
        connection.state = 'connected'
        connection.state_message = None
        connection.kashflow_company = details.name
        connection.connected_at = dt.datetime.now()
        connection.save()
        Connection.store_secrets(
            [connection], password=credentials.password, **secrets)
        Connection.queue_refresh([connection])
        return 'done'

    def _save(self):
        # The session is stored in the database at each step, and stays there
        # when the wizard is abandoned: never with the typed secrets.
        for credentials in (self.credentials, self.rest_credentials):
            credentials.password = None
            credentials.autoauth_secret = None
            credentials.memorable_word_secret = None
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


def rest_handshake(url, username, password, memorable_word):
    """Log in to KashFlow's REST API and read a setting: KashFlow's company
    details, or a ConnectError saying what to fix"""
    with KashFlowRestClient(
            username, password, memorable_word, url=url, timeout=timeout(),
            max_retries=0, app_name=APP_NAME) as client:
        try:
            return client.get_company_details()
        except KashFlowError as error:
            logger.info("Connecting to KashFlow's REST API at %s failed: %s",
                url, error)
            raise connect_error(error, url) from error


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
