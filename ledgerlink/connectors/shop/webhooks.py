"""Verify the shop's signed webhooks: HMAC over the raw body, a freshness window, a dedup key.

Shopify signs the exact bytes it sends: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of
the raw body keyed with the app's secret, so verify before parsing anything. A retried delivery
keeps its original body and `X-Shopify-Triggered-At`, and Shopify retries for up to 4 hours;
the default tolerance covers that window, and a receiver drops repeats within it by `dedup_key`
(`X-Shopify-Event-Id`, else `X-Shopify-Webhook-Id`), kept at least as long as the tolerance.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from ledgerlink.connectors.shop.client import validate_record
from ledgerlink.connectors.shop.models import Customer, Order
from ledgerlink.errors import ConfigurationError, LedgerlinkError
from ledgerlink.records import Rejected
from ledgerlink.redaction import register_secret

DEFAULT_TOLERANCE = timedelta(hours=5)  # Shopify's retry window (4 h) plus margin
FUTURE_SKEW = timedelta(minutes=5)  # clocks disagree a little; more than this is suspicious
_FRACTION = re.compile(r"\.(\d+)")


class WebhookRejected(LedgerlinkError):
    """A delivery that must not be processed; `reason` is a short code for metrics and replies.

    Codes: `missing_header`, `bad_signature`, `bad_timestamp`, `stale`, `from_the_future`.
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(f"shop webhook rejected ({reason}): {message}")


@dataclass(frozen=True)
class ShopWebhook:
    """A verified delivery: its headers' facts and the raw body it was signed over."""

    topic: str
    webhook_id: str
    event_id: str | None
    shop_domain: str | None
    api_version: str | None
    triggered_at: datetime
    body: bytes

    @property
    def dedup_key(self) -> str:
        """Same for every retry of one event: store it, and skip a delivery already seen."""
        return self.event_id or self.webhook_id

    def payload(self) -> Any:
        """The body as JSON, numbers as Decimal."""
        return json.loads(self.body, parse_float=Decimal)

    def order(self) -> Order | Rejected:
        """For `orders/*` topics: the order, or a `Rejected` saying why it does not validate."""
        return validate_record(Order, "orders", self.payload())

    def customer(self) -> Customer | Rejected:
        return validate_record(Customer, "customers", self.payload())


def sign_webhook(body: bytes, secret: str | SecretStr) -> str:
    """The `X-Shopify-Hmac-Sha256` value for `body` (for tests and for forwarding)."""
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def parse_triggered_at(value: str) -> datetime:
    """`2024-08-22T14:38:43.191473052Z` (nanoseconds, `Z`) as an aware UTC datetime."""
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value.strip(), count=1)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return parsed.astimezone(UTC)


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secret: str | SecretStr,
    *,
    tolerance: timedelta = DEFAULT_TOLERANCE,
    now: datetime | None = None,
) -> ShopWebhook:
    """Check signature and freshness of one delivery; raise `WebhookRejected` if either fails."""
    lower = {k.lower(): v for k, v in headers.items()}
    signature = lower.get("x-shopify-hmac-sha256")
    if not signature:
        raise WebhookRejected("missing_header", "no X-Shopify-Hmac-Sha256 header")
    expected = sign_webhook(body, secret)
    # Compare in constant time; a non-ASCII header cannot match and must not raise.
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise WebhookRejected("bad_signature", "the signature does not match the body")

    topic, webhook_id = lower.get("x-shopify-topic"), lower.get("x-shopify-webhook-id")
    fired = lower.get("x-shopify-triggered-at")
    for name, value in (("Topic", topic), ("Webhook-Id", webhook_id), ("Triggered-At", fired)):
        if not value:
            raise WebhookRejected("missing_header", f"no X-Shopify-{name} header")
    try:
        triggered_at = parse_triggered_at(fired or "")
    except ValueError:
        raise WebhookRejected(
            "bad_timestamp", f"unreadable X-Shopify-Triggered-At {fired!r}"
        ) from None

    current = now or datetime.now(UTC)
    if current - triggered_at > tolerance:
        raise WebhookRejected(
            "stale", f"triggered at {triggered_at.isoformat()}, older than {tolerance}"
        )
    if triggered_at - current > FUTURE_SKEW:
        raise WebhookRejected("from_the_future", f"triggered at {triggered_at.isoformat()}")
    return ShopWebhook(
        topic=topic or "",
        webhook_id=webhook_id or "",
        event_id=lower.get("x-shopify-event-id"),
        shop_domain=lower.get("x-shopify-shop-domain"),
        api_version=lower.get("x-shopify-api-version"),
        triggered_at=triggered_at,
        body=body,
    )


class ShopWebhookVerifier:
    """`verify_webhook` bound to the app secret and a tolerance, for a receiver to hold."""

    def __init__(
        self, secret: str | SecretStr, *, tolerance: timedelta = DEFAULT_TOLERANCE
    ) -> None:
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if not value:
            raise ConfigurationError("the shop webhook secret is empty: set SHOP_WEBHOOK_SECRET")
        register_secret(value)
        self._secret = secret
        self.tolerance = tolerance

    def verify(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime | None = None
    ) -> ShopWebhook:
        return verify_webhook(headers, body, self._secret, tolerance=self.tolerance, now=now)
