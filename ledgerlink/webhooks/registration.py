"""Subscribing the receiver's URLs at FreshBooks and the shop, safe to run again and again.

FreshBooks: one callback per noun (`invoice` gets invoice.create/update/delete, as the API's
event rules say). A callback already registered for the URL is kept; one that is unverified, or
whose verifier this inbox does not hold (a new inbox file), gets its verification resent, which
the receiver confirms. Shop: one subscription per topic and address.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ledgerlink.connectors.freshbooks.client import FreshBooksClient
from ledgerlink.connectors.shop.client import ShopClient
from ledgerlink.errors import ConfigurationError

FRESHBOOKS_PATH = "/webhooks/freshbooks"
SHOP_PATH = "/webhooks/shop"
# FreshBooks event nouns and the entity each one changes (no subscription where it is off).
FRESHBOOKS_EVENT_ENTITIES = {
    "client": "clients",
    "invoice": "invoices",
    "payment": "payments",
    "expense": "expenses",
}
FRESHBOOKS_EVENTS = tuple(FRESHBOOKS_EVENT_ENTITIES)
SHOP_TOPICS = ("orders/create", "orders/updated", "customers/update")


@dataclass(frozen=True)
class Registration:
    """One subscription and what `register` did about it."""

    service: str
    event: str
    uri: str
    status: str  # registered | exists | verification_resent


def endpoints(base_url: str) -> tuple[str, str]:
    """The FreshBooks and shop endpoint URLs under the receiver's public base URL."""
    base = base_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"the receiver's public URL {base_url!r} is not an http(s) URL: "
            "pass --url or set WEBHOOKS_PUBLIC_URL"
        )
    return f"{base}{FRESHBOOKS_PATH}", f"{base}{SHOP_PATH}"


def register_freshbooks(
    client: FreshBooksClient,
    uri: str,
    *,
    trusted: set[int],
    events: tuple[str, ...] = FRESHBOOKS_EVENTS,
) -> list[Registration]:
    """`trusted`: callback ids whose verifier the receiver's inbox already trusts."""
    existing = {c.event: c for c in client.callbacks() if c.uri == uri}
    done = []
    for event in events:
        callback = existing.get(event)
        if callback is None:
            client.register_callback(event, uri)
            status = "registered"
        elif callback.verified and callback.callbackid in trusted:
            status = "exists"
        else:
            client.resend_verification(callback.callbackid)
            status = "verification_resent"
        done.append(Registration("freshbooks", event, uri, status))
    return done


def register_shop(
    client: ShopClient, address: str, topics: tuple[str, ...] = SHOP_TOPICS
) -> list[Registration]:
    done = []
    for topic in topics:
        if client.webhooks(topic=topic, address=address):
            done.append(Registration("shop", topic, address, "exists"))
        else:
            client.ensure_webhook(topic, address)
            done.append(Registration("shop", topic, address, "registered"))
    return done
