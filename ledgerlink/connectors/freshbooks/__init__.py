"""FreshBooks connector: OAuth with rotating refresh tokens, accounting resources, webhooks."""

from ledgerlink.connectors.freshbooks.client import FreshBooksClient
from ledgerlink.connectors.freshbooks.oauth import FreshBooksTokenManager, authorization_url
from ledgerlink.connectors.freshbooks.resources import RESOURCES, Resource
from ledgerlink.connectors.freshbooks.webhooks import sign_webhook, verify_webhook

__all__ = [
    "RESOURCES",
    "FreshBooksClient",
    "FreshBooksTokenManager",
    "Resource",
    "authorization_url",
    "sign_webhook",
    "verify_webhook",
]
