"""Secrets at rest: the KashFlow password and API key, encrypted with Fernet.

The keys come from trytond's configuration, never from the database, so a
dump of the database alone does not reveal the secrets:

    [dext_kashflow]
    secret_keys = <newest key>, <older key>...

(or TRYTOND_DEXT_KASHFLOW__SECRET_KEYS), or from a file that holds them
(secret_keys_file, TRYTOND_DEXT_KASHFLOW__SECRET_KEYS_FILE: a Docker secret,
for example) when secret_keys is not set. The first key encrypts; every key
decrypts, so a new key can be put first while the old ones still read what
was stored with them (see the developer guide: rotating the keys).
"""
import logging
import re

import trytond.config as config
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

logger = logging.getLogger(__name__)

SECTION, OPTION = 'dext_kashflow', 'secret_keys'
SETTING = f'[{SECTION}] {OPTION}'
_SEPARATORS = re.compile(r'[\s,]+')


class NoKeyError(Exception):
    "No encryption key is configured"


class UnreadableSecretError(Exception):
    "A stored secret was encrypted with a key that is no longer configured"


def new_key():
    "A new random key, as the configuration takes it"
    return Fernet.generate_key().decode('ascii')


def configured_keys():
    "The configured keys, newest first"
    value = config.get(SECTION, OPTION, default='') or ''
    if not value.strip():
        value = _keys_file()
    return [k for k in _SEPARATORS.split(value) if k]


def _keys_file():
    "What the keys file holds; nothing when it is not set or cannot be read"
    path = config.get(SECTION, f'{OPTION}_file', default='') or ''
    if not path.strip():
        return ''
    try:
        with open(path.strip(), encoding='ascii') as keys:
            return keys.read()
    except (OSError, ValueError) as error:
        logger.warning("The KashFlow encryption keys file %s cannot be read: %s",
            path, error.__class__.__name__)
        return ''


def has_key():
    return bool(configured_keys())


def _fernet():
    keys = configured_keys()
    if not keys:
        raise NoKeyError(f"no encryption key is configured ({SETTING})")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as error:
        # Fernet's message says what is wrong with the key, never the key.
        raise NoKeyError(
            f"a key in {SETTING} is not a Fernet key: {error}") from error


def encrypt(plain):
    "The token to store for plain (None stays None)"
    if plain is None:
        return None
    return _fernet().encrypt(plain.encode('utf-8')).decode('ascii')


def decrypt(token):
    "The plain secret of a stored token (None stays None)"
    return None if token is None else _with_keys('decrypt', token).decode('utf-8')


def reencrypt(token):
    "The token encrypted again with the newest key (None stays None)"
    return None if token is None else _with_keys('rotate', token).decode('ascii')


def _with_keys(method, token):
    try:
        return getattr(_fernet(), method)(token.encode('ascii'))
    except InvalidToken as error:
        raise UnreadableSecretError(
            f"a stored secret was encrypted with a key not in {SETTING}") from error


def warn_if_no_key():
    "Say in the log, once per process start, that secrets cannot be stored"
    if not has_key():
        logger.warning(
            "No encryption key for KashFlow passwords and API keys is "
            "configured (%s in trytond's configuration, or "
            "TRYTOND_DEXT_KASHFLOW__SECRET_KEYS): connecting to KashFlow is "
            "refused until one is set. Make one with: python -c "
            "'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'", SETTING)
