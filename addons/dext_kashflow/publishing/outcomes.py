"""What a failed call to KashFlow means, in a bookkeeper's words.

One table, KINDS, from the client's errors to what every caller shows: a
publication's failure, the message and hint on the document, whether it is
retried automatically, what becomes of the connection (expired when KashFlow
no longer lets us in), the Connect wizard's message, and the user error of a
button that talks to KashFlow. The client's own message, which names
KashFlow's operations and HTTP statuses, goes to the log only; what people
read is said by REASONS, which quote KashFlow's own reason (its
StatusDetail), and what that reason is about (error.subject, read by the
client) picks the hint.
"""
from dataclasses import dataclass

from trytond.i18n import gettext

from kashflow.errors import (
    AccessDeniedError,
    ApiDisabledError,
    AuthenticationError,
    AutoAuthError,
    CertificateError,
    ConfigurationError,
    HostNotFoundError,
    IPNotAllowedError,
    KashFlowError,
    NotFoundError,
    RateLimitedError,
    RedirectError,
    TransientError,
    UnclearOutcomeError,
    UnexpectedResponseError,
    UnreachableError,
)
from kashflow.rest_failures import (
    AccountLockedError,
    MemorableWordError,
    RestApiDisabledError,
)

from ..exceptions import (
    ConnectError,
    ConnectionExpiredError,
    KashFlowUnavailableError,
    KashFlowUserError,
)


@dataclass(frozen=True)
class Kind:
    "What one kind of KashFlow error means (messages are ir.message ids)"
    failure: str  # the publication's failure (see models/publication.FAILURES)
    message: str  # on the document: what happened to what was sent
    hint: str | None  # how to fix it; None: from what KashFlow's reason is about
    retry: bool  # retried automatically when it is due
    connection: str | None  # the connection's new state: expired, error, or kept
    connect: str  # the Connect wizard's message
    work: str  # a button's or the refresh's message
    user_error: type  # the error a button raises


_EXPIRED = dict(failure='connection', message='msg_connection_expired',
    hint='msg_hint_reconnect', retry=False, connection='expired',
    work='msg_connection_expired', user_error=ConnectionExpiredError)
_UNAVAILABLE = dict(failure='unavailable', message='msg_failure_unavailable',
    hint='msg_hint_unavailable', retry=True, connection=None,
    connect='msg_connect_unreachable', work='msg_kashflow_unreachable',
    user_error=KashFlowUnavailableError)
_REFUSED = dict(failure='refused', message='msg_failure_refused', hint=None,
    retry=False, connection='error', connect='msg_connect_failed',
    work='msg_kashflow_refused', user_error=KashFlowUserError)

# The first class an error is an instance of decides.
KINDS = [
    (UnclearOutcomeError, Kind(**{**_UNAVAILABLE, 'failure': 'unclear',
                'message': 'msg_failure_unclear', 'hint': 'msg_hint_look_first'})),
    (RateLimitedError, Kind(**{**_UNAVAILABLE,
                'message': 'msg_failure_rate_limited'})),
    (TransientError, Kind(**_UNAVAILABLE)),
    # An answer KashFlow's API does not give: likely passing, but not a
    # network fault for a person to check.
    (UnexpectedResponseError, Kind(**{**_UNAVAILABLE, 'connection': 'error',
                'connect': 'msg_connect_failed', 'work': 'msg_kashflow_unexpected',
                'user_error': KashFlowUserError})),
    (MemorableWordError, Kind(**_EXPIRED, connect='msg_connect_memorable_word')),
    (AccountLockedError, Kind(**_EXPIRED, connect='msg_connect_locked')),
    (AuthenticationError, Kind(**_EXPIRED, connect='msg_connect_credentials')),
    (IPNotAllowedError, Kind(**_EXPIRED, connect='msg_connect_ip')),
    (RestApiDisabledError, Kind(**_EXPIRED, connect='msg_connect_rest_disabled')),
    (ApiDisabledError, Kind(**_EXPIRED, connect='msg_connect_api_disabled')),
    (AutoAuthError, Kind(**_EXPIRED, connect='msg_connect_autoauth')),
    (AccessDeniedError, Kind(**_EXPIRED, connect='msg_connect_failed')),
    (ConfigurationError, Kind(failure='setup', message='msg_failure_setup',
            hint='msg_hint_setup', retry=False, connection='error',
            connect='msg_connect_address', work='msg_kashflow_address',
            user_error=KashFlowUserError)),
    (NotFoundError, Kind(**{**_REFUSED, 'message': 'msg_failure_not_found'})),
    (KashFlowError, Kind(**_REFUSED)),
    ]

# Why a call failed, in one sentence (first class that matches): a passing
# fault in our words, a refusal in KashFlow's.
REASONS = [
    (MemorableWordError, 'msg_reason_memorable_word'),
    (AccountLockedError, 'msg_reason_locked'),
    (AuthenticationError, 'msg_reason_credentials'),
    (RestApiDisabledError, 'msg_reason_rest_disabled'),
    (IPNotAllowedError, 'msg_reason_ip'),
    (ApiDisabledError, 'msg_reason_api_disabled'),
    (AutoAuthError, 'msg_reason_autoauth'),
    (AccessDeniedError, 'msg_reason_access'),
    (RateLimitedError, 'msg_reason_slow_down'),
    (UnreachableError, 'msg_reason_no_connection'),
    (UnclearOutcomeError, 'msg_reason_unclear'),
    (HostNotFoundError, 'msg_reason_host'),
    (CertificateError, 'msg_reason_certificate'),
    (RedirectError, 'msg_reason_redirect'),
    (ConfigurationError, 'msg_reason_address'),
    (UnexpectedResponseError, 'msg_reason_not_kashflow'),
    (KashFlowError, 'msg_reason_refused'),
    ]

# The hint for what KashFlow refused, by what its reason is about.
SUBJECT_HINTS = {
    'nominal': 'msg_hint_nominal',
    'vat': 'msg_hint_vat',
    'partner': 'msg_hint_partner',
    'project': 'msg_hint_project',
    'bank': 'msg_hint_bank',
    'decimals': 'msg_hint_decimals',
    }

# What each step of a publication sends, as the messages name it.
STEP_WORDS = {
    ('create_partner', 'supplier'): 'msg_step_supplier',
    ('create_partner', 'customer'): 'msg_step_customer',
    'send': 'msg_step_document',
    'payment': 'msg_step_payment',
    'attachment': 'msg_step_attachment',
    'credit': 'msg_step_credit',
    }


def kind(error):
    "The Kind of a KashFlow error"
    for cls, found in KINDS:
        if isinstance(error, cls):
            return found
    raise TypeError(f"not a KashFlow error: {error!r}")


def _text(name, **values):
    return gettext('dext_kashflow.' + name, **values)


@dataclass
class Outcome:
    "What a failed call means for a publication"
    failure: str
    message: str
    hint: str
    retry: bool = False  # retried by the cron when it is due
    expire: bool = False  # the connection no longer lets us in


def reason(error):
    "Why error happened, one sentence a bookkeeper reads"
    if isinstance(error, TransientError) and not isinstance(
            error, (RateLimitedError, UnreachableError, UnclearOutcomeError)):
        return _text('msg_reason_too_slow' if error.timed_out
            else 'msg_reason_passing')
    name = next(name for cls, name in REASONS if isinstance(error, cls))
    detail = _kashflow_words(error)
    if name == 'msg_reason_refused' and not detail:
        name = 'msg_reason_no_reason'
    # KashFlow's own words, quoted after ours when it gave any.
    said = f' ("{detail}")' if detail else ''
    return _text(name, detail=detail, said=said,
        host=getattr(error, 'host', ''))


def publication_outcome(error, action, side, connection):
    """The Outcome of error, raised by the call of the run's action for a
    document of side (sides.Side)"""
    found = kind(error)
    words = (STEP_WORDS.get((action, side.noun)) or STEP_WORDS.get(action)
        or 'msg_step_lookup')
    message = _text(found.message, what=_text(words), detail=_detail(error),
        connection=connection.rec_name, reason=reason(error))
    hint = _text(found.hint or SUBJECT_HINTS.get(error.subject, 'msg_hint_refused'))
    return Outcome(found.failure, message, hint, retry=found.retry,
        expire=found.connection == 'expired')


def _kashflow_words(error):
    "KashFlow's own sentence (its StatusDetail), which a bookkeeper can read"
    return (error.status_detail or '').strip().rstrip('.')


def _detail(error):
    "KashFlow's own sentence, or that it gave none"
    return _kashflow_words(error) or _text('msg_failure_no_reason')


def work_message(connection_name, url, error):
    "The message for a KashFlow error met by a button or the refresh"
    return _text(kind(error).work, connection=connection_name, url=url,
        reason=reason(error))


def user_error(connection_name, url, error):
    "The user error a button raises for a KashFlow error"
    return kind(error).user_error(work_message(connection_name, url, error))


def connection_state(error):
    "The state a connection takes after error, None to keep its own"
    return kind(error).connection


def connect_error(error, url, autoauth_error=None):
    """The Connect wizard's error; autoauth_error: AutoAuth was refused just
    before error"""
    name = kind(error).connect
    if name == 'msg_connect_ip' and autoauth_error:
        name = 'msg_connect_ip_autoauth'
    autoauth = _detail(autoauth_error) if autoauth_error else ''
    return ConnectError(
        _text(name, url=url, autoauth=autoauth, reason=reason(error)))
