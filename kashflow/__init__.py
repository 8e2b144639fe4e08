"""A client for KashFlow's SOAP API: typed dataclasses in and out, typed errors.

    from kashflow import KashFlowClient
    client = KashFlowClient(username, password)
    client.auto_auth_ip(autoauth_key)   # once, to let this server's IP address in
    number = client.insert_receipt(document)
"""

from .client import DEFAULT_URL, KashFlowClient

__all__ = ["DEFAULT_URL", "KashFlowClient"]
