"The KashFlow connection of a company: credentials, state and the refresh."
import datetime as dt
import logging
from contextlib import contextmanager
from urllib.parse import urlsplit

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from kashflow import DEFAULT_REST_URL, DEFAULT_URL, KashFlowClient, KashFlowRestClient
from kashflow.errors import KashFlowError

from .. import sync
from ..exceptions import ConnectionExpiredError
from ..publishing.outcomes import connection_state, user_error, work_message
from .connection_secrets import ConnectionSecrets

logger = logging.getLogger(__name__)

# KashFlow writes the application name as the comment of the IP it lets in.
APP_NAME = 'Tryton (dext-kashflow)'
# The real service's API Settings page; the mock serves /api-settings.
KASHFLOW_API_SETTINGS = 'https://app.kashflow.com/api.asp'


def timeout():
    "Seconds to wait for KashFlow's answer ([dext_kashflow] timeout)"
    return config.getfloat('dext_kashflow', 'timeout', default=30)


PROTOCOLS = [
    ('soap', "SOAP API (AutoAuth key)"),
    ('rest', "REST API v2 (memorable word)"),
    ]
STATES = [
    ('not_connected', "Not Connected"),
    ('connected', "Connected"),
    ('expired', "Expired"),
    ('error', "Error"),
    ]
REFRESH_STATES = [
    (None, ""),
    ('refreshing', "Refreshing"),
    ('done', "Done"),
    ('failed', "Failed"),
    ]


def default_service_url(protocol='soap'):
    "KashFlow's address for protocol ([dext_kashflow] url, rest_url)"
    if protocol == 'rest':
        return config.get('dext_kashflow', 'rest_url', default=DEFAULT_REST_URL)
    return config.get('dext_kashflow', 'url', default=DEFAULT_URL)


def api_settings_url(service_url):
    "The web page where a KashFlow user finds the API Settings"
    if not service_url:
        return None
    if service_url.rstrip('/') == DEFAULT_URL.rstrip('/'):
        return KASHFLOW_API_SETTINGS
    parts = urlsplit(service_url)
    return f'{parts.scheme}://{parts.netloc}/api-settings'


class Connection(ConnectionSecrets, ModelSQL, ModelView):
    __name__ = 'kashflow.connection'
    __string__ = "KashFlow Connection"
    _rec_name = 'username'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='RESTRICT',
        states={
            'readonly': Eval('state') != 'not_connected',
            })
    protocol = fields.Selection(
        PROTOCOLS, "KashFlow API", required=True,
        states={
            'readonly': Eval('state') != 'not_connected',
            },
        help="How Tryton talks to KashFlow. Connect again to change it: the "
        "lists, mappings, rules and published documents are kept.")
    url = fields.Char(
        "Service URL", required=True,
        states={
            'readonly': Eval('state') != 'not_connected',
            },
        help="The address of KashFlow's SOAP API, or of its REST API.")
    username = fields.Char("Username", readonly=True)
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    state_message = fields.Text("Message", readonly=True)
    kashflow_company = fields.Char("KashFlow Company", readonly=True)
    connected_at = fields.DateTime("Connected At", readonly=True)
    publish_tax = fields.Boolean(
        "Publish Tax Data",
        help="Send the tax of each line to KashFlow.\n"
        "Leave unticked when KashFlow should not record VAT.")
    compare_after_publishing = fields.Boolean(
        "Compare After Publishing",
        help="Read each document back from KashFlow once it is published, "
        "and warn where KashFlow's net, VAT or totals are not Tryton's.\n"
        "Unticked, publishing asks KashFlow half as often.")
    refresh_state = fields.Selection(
        REFRESH_STATES, "Refresh State", readonly=True)
    last_refresh = fields.DateTime("Last Refresh", readonly=True)
    refresh_summary = fields.Text("Refresh Summary", readonly=True)
    # The digest of KashFlow's answer for each list and the number of its
    # rows, at the refresh that wrote the lists: a list answered the same is
    # not read again (sync/).
    list_digests = fields.Dict(None, "List Digests", readonly=True)
    paused_until = fields.DateTime(
        "Paused Until", readonly=True,
        help="KashFlow asked us to slow down: nothing is sent to it before "
        "then, by any worker.")
    account_mappings = fields.One2Many(
        'kashflow.account_mapping', 'connection', "Account Mappings")
    tax_mappings = fields.One2Many(
        'kashflow.tax_mapping', 'connection', "Tax Mappings")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('company_unique', Unique(t, t.company),
                'dext_kashflow.msg_connection_company_unique'),
            ]
        cls._buttons.update({
                'connect': {
                    'invisible': Eval('state') != 'not_connected',
                    'depends': ['state'],
                    },
                'reconnect': {
                    'invisible': Eval('state') == 'not_connected',
                    'depends': ['state'],
                    },
                'refresh': {
                    'invisible': ~Eval('state').in_(['connected', 'error']),
                    'depends': ['state'],
                    },
                'suggest_mappings': {
                    'invisible': Eval('state') == 'not_connected',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_protocol(cls):
        return 'soap'

    @classmethod
    def default_url(cls):
        return default_service_url()

    @classmethod
    def default_state(cls):
        return 'not_connected'

    @classmethod
    def default_publish_tax(cls):
        return True

    @classmethod
    def default_compare_after_publishing(cls):
        return True

    def get_rec_name(self, name):
        company = self.company.rec_name if self.company else ''
        if self.username:
            # Not in parentheses: sao titles a dialog "Action (record)".
            return f'{company}, {self.username}'
        return company

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//label[@id="refreshing"]', 'states', {
                    'invisible': Eval('refresh_state') != 'refreshing',
                    }),
            ('//label[@id="expired"]', 'states', {
                    'invisible': Eval('state') != 'expired',
                    }),
            ('//page[@id="mappings"]', 'states', {
                    'invisible': Eval('state') == 'not_connected',
                    }),
            ]

    @classmethod
    def write(cls, *args):
        cls.check_url_unchanged(args)
        super().write(*args)

    @classmethod
    def check_url_unchanged(cls, args):
        """The lists and mappings belong to the KashFlow account first
        connected: its address changes only with the API spoken to it (the
        Connect wizard then checks that the username is the same)"""
        for connections, values in zip(args[::2], args[1::2], strict=True):
            if 'url' not in values:
                continue
            for connection in connections:
                protocol = values.get('protocol', connection.protocol)
                if (connection.state != 'not_connected'
                        and protocol == connection.protocol
                        and connection.url != values['url']):
                    raise AccessError(gettext(
                            'dext_kashflow.msg_connection_url_locked',
                            connection=connection.rec_name))

    @classmethod
    def copy(cls, connections, default=None):
        default = default.copy() if default is not None else {}
        for name in ['username', 'state_message',
                'kashflow_company', 'connected_at', 'refresh_state',
                'last_refresh', 'refresh_summary', 'paused_until',
                'list_digests']:
            default.setdefault(name)
        default.setdefault('state', 'not_connected')
        return super().copy(connections, default=default)

    # Talking to KashFlow ----------------------------------------------

    def client(self, interactive=False):
        """A KashFlow client with the stored credentials

        interactive: for a person waiting on a button, one attempt only (no
        retries by the client); the queue does the retrying.
        """
        with without_check_access():
            connection = self.__class__(self.id)
            username = connection.username
            # What prepare checks the KashFlow account's home currency to be.
            home_currency = connection.company.currency.code
        options = dict(url=self.url, timeout=timeout(), app_name=APP_NAME,
            home_currency=home_currency)
        if interactive:
            options['max_retries'] = 0
        if connection.protocol == 'rest':
            secrets = self.secrets('password', 'memorable_word_secret')
            return KashFlowRestClient(username or '', secrets['password'] or '',
                secrets['memorable_word_secret'] or '', **options)
        secrets = self.secrets('password', 'autoauth_secret')
        # With the AutoAuth key, a worker on a machine KashFlow does not know
        # yet lets itself in, as Connect did for the server.
        return KashFlowClient(username or '', secrets['password'] or '',
            autoauth_key=secrets['autoauth_secret'] or None, **options)

    def check_connected(self):
        if self.state == 'expired':
            raise ConnectionExpiredError(gettext(
                    'dext_kashflow.msg_connection_expired',
                    connection=self.rec_name,
                    reason=self.state_message or ''))
        if self.state == 'not_connected':
            raise ConnectionExpiredError(gettext(
                    'dext_kashflow.msg_connection_not_connected',
                    connection=self.rec_name))

    @contextmanager
    def session(self):
        """Yield a client and turn what KashFlow refuses into user errors.

        A refused login marks the connection expired in a transaction of its
        own, so that it stays expired when the caller's transaction rolls
        back. The caller must not have written this connection in its own
        transaction before (the row would be locked).
        """
        self.check_connected()
        client = self.client()
        try:
            yield client
        except KashFlowError as error:
            logger.info("KashFlow call of connection %s failed: %s",
                self.id, error)
            found = user_error(self.rec_name, self.url, error)
            if connection_state(error) == 'expired':
                self.expire(found.message)
            raise found from error
        finally:
            client.close()

    def expire(self, message):
        "Mark the connection expired, whatever happens to this transaction"
        logger.info("KashFlow connection %s expired", self.id)
        with Transaction().new_transaction(), without_check_access():
            self.__class__.write([self.__class__(self.id)], {
                    'state': 'expired',
                    'state_message': message,
                    })

    # Buttons ----------------------------------------------------------

    @classmethod
    @ModelView.button_action('dext_kashflow.wizard_connect')
    def connect(cls, connections):
        pass

    @classmethod
    @ModelView.button_action('dext_kashflow.wizard_connect')
    def reconnect(cls, connections):
        pass

    @classmethod
    @ModelView.button
    def refresh(cls, connections):
        """Check that KashFlow still lets us in, refresh in the background,
        and open the dialog that says how the refresh stands"""
        for connection in connections:
            with connection.session() as client:
                client.get_company_details()
        cls.queue_refresh(connections)
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action')
        return Action.get_action_id(
            ModelData.get_id('dext_kashflow', 'wizard_refresh_started'))

    @classmethod
    @ModelView.button
    def suggest_mappings(cls, connections):
        pool = Pool()
        AccountMapping = pool.get('kashflow.account_mapping')
        TaxMapping = pool.get('kashflow.tax_mapping')
        with without_check_access():
            for connection in connections:
                AccountMapping.suggest(connection)
                TaxMapping.suggest(connection)

    # Refresh ----------------------------------------------------------

    @classmethod
    def queue_refresh(cls, connections):
        cls.write(connections, {'refresh_state': 'refreshing'})
        cls.__queue__.sync_lists(connections)

    @classmethod
    def refresh_all(cls):
        "Scheduled refresh of every working connection"
        connections = cls.search([('state', 'in', ['connected', 'error'])])
        if connections:
            cls.queue_refresh(connections)

    @classmethod
    def sync_lists(cls, connections):
        "Copy KashFlow's lists into Tryton (run by the queue)"
        # One refresh of a connection at a time: the lock is taken as the
        # transaction starts, so a second refresh (the button and the cron at
        # once) is put back in the queue, and then runs on what the first
        # wrote instead of creating the same rows again.
        cls.lock(connections)
        for connection in connections:
            connection._sync_lists()

    def _sync_lists(self):
        if self.state not in {'connected', 'error'}:
            self.refresh_state = 'failed'
            self.refresh_summary = gettext(
                'dext_kashflow.msg_refresh_not_connected')
            self.save()
            return
        known = sync.known(self)
        try:
            with self.client() as client:
                data = sync.fetch(client, known)
        except KashFlowError as error:
            logger.info("KashFlow refresh of connection %s failed: %s",
                self.id, error)
            self.refresh_state = 'failed'
            self.refresh_summary = work_message(self.rec_name, self.url, error)
            state = connection_state(error)
            if state:
                self.state = state
                self.state_message = self.refresh_summary
            self.save()
            return
        try:
            stats = sync.apply(self, data)
        except Exception:
            # Only the list rows are written so far, not this connection,
            # so a transaction of its own can record the failure.
            self._refresh_crashed()
            raise
        self.refresh_state = 'done'
        self.list_digests = sync.kept(data, stats)
        self.last_refresh = dt.datetime.now()
        self.refresh_summary = sync.summary(stats)
        if self.state == 'error':
            self.state, self.state_message = 'connected', None
        self.save()

    def _refresh_crashed(self):
        cls = self.__class__
        with Transaction().new_transaction(), without_check_access():
            cls.write([cls(self.id)], {
                    'refresh_state': 'failed',
                    'refresh_summary': gettext(
                        'dext_kashflow.msg_refresh_crashed'),
                    })
