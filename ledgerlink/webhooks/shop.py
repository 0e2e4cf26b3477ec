"""Receiving the shop's webhooks: HMAC over the raw body, freshness, dedup by event id.

The connector's `ShopWebhookVerifier` does the checking; this keeps each event id in the inbox's
dedup table for the verifier's whole tolerance (plus the clock skew it allows), so a replay is
either stale or a known duplicate, never a second event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ledgerlink.connectors.shop.webhooks import FUTURE_SKEW, ShopWebhookVerifier, WebhookRejected
from ledgerlink.settings import Settings
from ledgerlink.webhooks.inbox import Inbox
from ledgerlink.webhooks.outcome import Outcome, accepted, duplicate, rejected

MAX_BODY_BYTES = 5 * 1024 * 1024  # an order with many lines is large, but not this large


class ShopReceiver:
    """Turns one POST to `/webhooks/shop` into an `Outcome` (and maybe an inbox row)."""

    def __init__(self, settings: Settings, inbox: Inbox) -> None:
        secret = settings.shop_webhook_secret
        self.verifier = ShopWebhookVerifier(secret) if secret.get_secret_value() else None
        self.inbox = inbox
        tolerance = self.verifier.tolerance if self.verifier else timedelta(0)
        self.keep_for = (tolerance + FUTURE_SKEW).total_seconds()

    def handle(self, headers: Mapping[str, str], body: bytes) -> Outcome:
        if self.verifier is None:
            return rejected("not_configured", 503)
        try:
            hook = self.verifier.verify(headers, body)
        except WebhookRejected as exc:
            return rejected(exc.reason)
        payload, object_id = _payload(body)
        appended = self.inbox.append(
            "shop",
            hook.topic,
            hook.dedup_key,
            payload,
            keep_for=self.keep_for,
            object_id=object_id,
            account_id=hook.shop_domain,
            occurred_at=hook.triggered_at,
        )
        return accepted(hook.topic) if appended else duplicate(hook.topic)


def _payload(body: bytes) -> tuple[str, str | None]:
    """The body as JSON text (as sent, when it is JSON) and the id of the record it is about."""
    text = body.decode("utf-8", "replace")
    try:
        document: Any = json.loads(text)
    except ValueError:
        return json.dumps(text), None  # signed but not JSON: keep it, as a JSON string
    object_id = document.get("id") if isinstance(document, dict) else None
    return text, None if object_id is None else str(object_id)
