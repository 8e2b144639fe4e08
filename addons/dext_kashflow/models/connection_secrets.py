"""The connection's KashFlow password and API key: write-only, kept encrypted.

A client may set them (the Connect wizard, or an administrator replacing one
on the form) and see whether they are set, never read them back. The
encrypted values live in columns of the connection's table that are not
fields: no read, export, search or sort can reach them, whoever asks. Only
this module's code reads them (secret()), to build its KashFlow client.
"""
import logging

from sql import Column, Null
from sql.operators import Or
from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .. import encryption
from ..exceptions import SecretKeyError

logger = logging.getLogger(__name__)

# The write-only fields and the columns that keep them encrypted. The names
# hold "password" or "secret", so that trytond's RPC log leaves their values
# out of what it writes.
SECRETS = {
    'password': 'password_encrypted',
    'autoauth_secret': 'autoauth_secret_encrypted',
    'memorable_word_secret': 'memorable_word_encrypted',
    }
# Where they were kept in clear before.
_PLAIN_COLUMNS = {
    'password': 'password',
    'autoauth_secret': 'autoauth_key',
    }


def _slices(ids):
    return grouped_slice(ids, backend.MAX_QUERY_PARAMS)


def _in(column, ids):
    return fields.SQL_OPERATORS['in'](column, list(ids))


def check_encryption_key():
    "Refuse to take a secret that could not be kept encrypted"
    try:
        encryption.encrypt('')
    except encryption.NoKeyError as error:
        logger.warning("A KashFlow secret was refused: %s", error)
        raise SecretKeyError(gettext(
                'dext_kashflow.msg_secret_key_missing',
                setting=encryption.SETTING)) from error


class ConnectionSecrets:
    "Mixed into kashflow.connection"
    __slots__ = ()

    password = fields.Function(fields.Char(
            "New Password", strip=False,
            states={'invisible': Eval('state') == 'not_connected'},
            help="Type a new KashFlow password to replace the stored one.\n"
            "The stored password is never shown."),
        'get_write_only', setter='set_secret')
    password_set = fields.Function(
        fields.Boolean("Password Set"), 'get_secret_set')
    autoauth_secret = fields.Function(fields.Char(
            "New API Key",
            states={'invisible': Eval('state') == 'not_connected'},
            help="Paste a new AutoAuth key from KashFlow's API Settings to "
            "replace the stored one.\nThe stored key is never shown."),
        'get_write_only', setter='set_secret')
    autoauth_secret_set = fields.Function(
        fields.Boolean("API Key Set"), 'get_secret_set')
    memorable_word_secret = fields.Function(fields.Char(
            "New Memorable Word", strip=False,
            states={'invisible': (Eval('state') == 'not_connected')
                | (Eval('protocol') != 'rest')},
            help="Type a new KashFlow memorable word to replace the stored "
            "one (the REST API asks for three of its letters).\n"
            "The stored word is never shown."),
        'get_write_only', setter='set_secret')
    memorable_word_secret_set = fields.Function(
        fields.Boolean("Memorable Word Set",
            states={'invisible': Eval('protocol') != 'rest'}),
        'get_secret_set')
    has_encryption_key = fields.Function(
        fields.Boolean("Encryption Key Configured"), 'get_has_encryption_key')

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        encryption.warn_if_no_key()

    @classmethod
    def __register__(cls, module_name):
        table_h = cls.__table_handler__(module_name)
        plain = {name: column for name, column in _PLAIN_COLUMNS.items()
            if table_h.column_exist(column)}
        super().__register__(module_name)
        table_h = cls.__table_handler__(module_name)
        for column in SECRETS.values():
            table_h.add_column(column, 'VARCHAR')
        # Migration: the secrets were kept in clear before.
        if plain:
            cls._encrypt_plain_columns(plain)
            for column in plain.values():
                table_h.drop_column(column)
        # Updating the module encrypts again with the newest key (rotation).
        cls.reencrypt_secrets()

    @classmethod
    def _encrypt_plain_columns(cls, plain):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.id, *(Column(table, c) for c in plain.values())))
        for id_, *values in cursor.fetchall():
            values = dict(zip(plain, values, strict=True))
            if not any(values.values()):
                continue
            if encryption.has_key():
                cls._store_tokens([id_], {
                        n: encryption.encrypt(v) for n, v in values.items()})
            else:
                # Never kept in clear: the connection must be made again.
                cursor.execute(*table.update(
                        [table.state, table.state_message],
                        ['expired', "The KashFlow password was forgotten: "
                            "this server had no encryption key. Reconnect."],
                        where=table.id == id_))

    @classmethod
    def reencrypt_secrets(cls):
        """Encrypt every stored secret again with the newest configured key.

        `trytond-admin -u dext_kashflow` runs it: after a new key is put first
        in [dext_kashflow] secret_keys, then the older keys can be removed."""
        if not encryption.has_key():
            return
        for id_, tokens in cls._read_tokens().items():
            try:
                tokens = {n: encryption.reencrypt(t) for n, t in tokens.items()}
            except encryption.UnreadableSecretError:
                logger.warning("The KashFlow secrets of connection %s were "
                    "encrypted with a key no longer configured: it must be "
                    "reconnected", id_)
                continue
            cls._store_tokens([id_], tokens)

    # The columns, past the ORM -------------------------------------------

    @classmethod
    def _read_tokens(cls, ids=None):
        "{id: {name: token}} of the connections that have a secret"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        columns = [Column(table, c) for c in SECRETS.values()]
        where = Or([c != Null for c in columns])
        result = {}
        wheres = ([where] if ids is None
            else [where & _in(table.id, s) for s in _slices(ids)])
        for where in wheres:
            cursor.execute(*table.select(table.id, *columns, where=where))
            for id_, *tokens in cursor:
                result[id_] = dict(zip(SECRETS, tokens, strict=True))
        return result

    @classmethod
    def _store_tokens(cls, ids, tokens):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in _slices(ids):
            cursor.execute(*table.update(
                    [Column(table, SECRETS[n]) for n in tokens],
                    list(tokens.values()),
                    where=_in(table.id, sub_ids)))

    # For the module's code -------------------------------------------------

    @classmethod
    def store_secrets(cls, connections, **secrets):
        "Keep the plain password and/or API key, encrypted (by field name)"
        check_encryption_key()
        cls._store_tokens([c.id for c in connections], {
                n: encryption.encrypt(v) for n, v in secrets.items()})

    def secret(self, name):
        "The plain password or API key: for this module's code, never a client"
        return self.secrets(name)[name]

    def secrets(self, *names):
        "The plain secrets of names, by name, read together"
        tokens = self._read_tokens([self.id]).get(self.id, {})
        try:
            return {name: encryption.decrypt(tokens.get(name)) for name in names}
        except (encryption.NoKeyError, encryption.UnreadableSecretError) as error:
            logger.warning("KashFlow connection %s: %s", self.id, error)
            raise SecretKeyError(gettext(
                    'dext_kashflow.msg_secret_unreadable',
                    connection=self.rec_name)) from error

    # Fields ------------------------------------------------------------------

    def get_write_only(self, name):
        return None

    @classmethod
    def get_secret_set(cls, connections, names):
        tokens = cls._read_tokens([c.id for c in connections])
        return {name: {c.id: bool(tokens.get(c.id, {}).get(name[:-len('_set')]))
                    for c in connections}
            for name in names}

    def get_has_encryption_key(self, name):
        return encryption.has_key()

    @classmethod
    def set_secret(cls, connections, name, value):
        "An administrator replaces the password or key; empty keeps it"
        if not value:
            return
        if name == 'autoauth_secret':
            value = value.strip()
        cls.store_secrets(connections, **{name: value})

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//label[@id="no_encryption_key"]', 'states', {
                    'invisible': Eval('has_encryption_key', True),
                    }),
            ]
