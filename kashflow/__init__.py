"""Clients for KashFlow's SOAP API and its REST API v2: typed dataclasses in and out, typed
errors, the same for both.

    from kashflow import KashFlowClient
    client = KashFlowClient(username, password)
    client.auto_auth_ip(autoauth_key)   # once, to let this server's IP address in
    number = client.insert_receipt(document)

    from kashflow import KashFlowRestClient
    client = KashFlowRestClient(username, password, memorable_word)
    number = client.insert_receipt(document, payment)   # one call, paid or not
"""

from .client import DEFAULT_URL, KashFlowClient
from .rest_client import DEFAULT_REST_URL, KashFlowRestClient

__all__ = ["DEFAULT_REST_URL", "DEFAULT_URL", "KashFlowClient", "KashFlowRestClient"]
