from trytond.exceptions import UserError


class KashFlowUserError(UserError):
    "KashFlow refused or could not answer a call"


class ConnectError(KashFlowUserError):
    "The connect wizard could not make the connection"


class ConnectionExpiredError(KashFlowUserError):
    "The connection no longer works: it must be reconnected"


class KashFlowUnavailableError(KashFlowUserError):
    "KashFlow could not be reached; trying again later may work"


class PublishError(KashFlowUserError):
    "A document cannot be published as it stands"


class SecretKeyError(UserError):
    "The server cannot encrypt or decrypt the KashFlow secrets"
