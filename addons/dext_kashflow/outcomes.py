"""What a failed call to KashFlow means for a document, in a bookkeeper's words.

One table from the client's errors to the publication's failure, the message
and hint shown on the document, and whether it is retried automatically or
expires the connection. The client's own message, which names KashFlow's
operations and HTTP statuses, goes to the publication log, not to the
document.
"""
import re
from dataclasses import dataclass

from trytond.i18n import gettext

from kashflow.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConfigurationError,
    KashFlowError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnclearOutcomeError,
    UnexpectedResponseError,
)

# What each step sends, as the messages name it.
STEP_WORDS = {
    ('create_partner', 'receipt'): 'msg_step_supplier',
    ('create_partner', 'invoice'): 'msg_step_customer',
    'send': 'msg_step_document',
    'payment': 'msg_step_payment',
    'attachment': 'msg_step_attachment',
    'credit': 'msg_step_credit',
    }


@dataclass
class Outcome:
    failure: str  # the publication's failure (see publication.FAILURES)
    message: str
    hint: str
    retry: bool = False  # retried by the cron when it is due
    expire: bool = False  # the connection no longer lets us in


def outcome(error, action, kind, connection):
    """The Outcome of error, raised by the call of the publisher's action for
    a document of kind ('receipt' or 'invoice')"""
    words = STEP_WORDS.get((action, kind)) or STEP_WORDS.get(action, 'msg_step_lookup')
    what = gettext('dext_kashflow.' + words)
    if isinstance(error, UnclearOutcomeError):
        return Outcome('unclear',
            gettext('dext_kashflow.msg_failure_unclear', what=what),
            gettext('dext_kashflow.msg_hint_look_first'), retry=True)
    if isinstance(error, (AuthenticationError, AccessDeniedError)):
        return Outcome('connection',
            gettext('dext_kashflow.msg_connection_expired',
                connection=connection.rec_name, reason=str(error)),
            gettext('dext_kashflow.msg_hint_reconnect'), expire=True)
    if isinstance(error, RateLimitedError):
        return Outcome('unavailable',
            gettext('dext_kashflow.msg_failure_rate_limited', what=what),
            gettext('dext_kashflow.msg_hint_unavailable'), retry=True)
    if isinstance(error, (TransientError, UnexpectedResponseError)):
        return Outcome('unavailable',
            gettext('dext_kashflow.msg_failure_unavailable', what=what),
            gettext('dext_kashflow.msg_hint_unavailable'), retry=True)
    if isinstance(error, ConfigurationError):
        return Outcome('setup',
            gettext('dext_kashflow.msg_failure_setup', what=what),
            gettext('dext_kashflow.msg_hint_setup'))
    if isinstance(error, NotFoundError):
        return Outcome('refused',
            gettext('dext_kashflow.msg_failure_not_found', what=what,
                detail=_detail(error)),
            hint_for(error))
    if isinstance(error, KashFlowError):
        return Outcome('refused',
            gettext('dext_kashflow.msg_failure_refused', what=what,
                detail=_detail(error)),
            hint_for(error))
    raise TypeError(f"not a KashFlow error: {error!r}")


def _detail(error):
    "KashFlow's own sentence (its StatusDetail), which a bookkeeper can read"
    detail = (error.status_detail or '').strip().rstrip('.')
    return detail or gettext('dext_kashflow.msg_failure_no_reason')


# The hint for what KashFlow refused, by the words of its reason.
HINTS = [
    (('nominal', 'chargetype'), 'msg_hint_nominal'),
    (('vat rate', 'vat'), 'msg_hint_vat'),
    (('supplier', 'customer'), 'msg_hint_partner'),
    (('project',), 'msg_hint_project'),
    (('bank account', 'payment method'), 'msg_hint_bank'),
    (('decimal',), 'msg_hint_decimals'),
    ]


def hint_for(error):
    "A hint at the fix for what KashFlow refused"
    detail = (error.status_detail or str(error)).lower()
    words = set(re.findall(r'[a-z]+', detail))
    for keys, message in HINTS:
        if any((k in detail) if ' ' in k else (k in words) for k in keys):
            return gettext(f'dext_kashflow.{message}')
    return gettext('dext_kashflow.msg_hint_refused')
