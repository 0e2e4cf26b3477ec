"""The receiver's replies over real HTTP: signatures, staleness, dedup, limits, counts."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo

import httpx
import pytest
from pydantic import SecretStr
from webhook_support import freshbooks_delivery, serving_app, shop_delivery, stale

from ledgerlink.settings import Settings
from ledgerlink.webhooks import Inbox
from ledgerlink.webhooks import inbox as inbox_module
from ledgerlink.webhooks.freshbooks import FreshBooksReceiver
from ledgerlink.webhooks.handshake import CallbackConfirmer
from ledgerlink.webhooks.outcome import Counters
from ledgerlink.webhooks.verifiers import CallbackVerifiers

VERIFIER = "YLN6RcfR3Q99Xxmfzz8WdJChgVjb4uZ42"
FB, SHOP = "/webhooks/freshbooks", "/webhooks/shop"


@pytest.fixture
def configured(settings: Settings) -> Settings:
    """The sandbox's shop secret, a configured FreshBooks verifier and a short dedup window."""
    return settings.model_copy(
        update={
            "freshbooks_webhook_verifier": SecretStr(VERIFIER),
            "webhooks_dedupe_window_seconds": 0.5,
        }
    )


@pytest.fixture
def receiver(configured: Settings) -> Iterator[tuple[httpx.Client, Counters]]:
    with serving_app(configured) as (url, app), httpx.Client(base_url=url, timeout=10) as http:
        yield http, app.state.counters


@pytest.fixture
def client(receiver: tuple[httpx.Client, Counters]) -> httpx.Client:
    return receiver[0]


@pytest.fixture
def counters(receiver: tuple[httpx.Client, Counters]) -> Counters:
    return receiver[1]


def events(settings: Settings) -> list:
    with Inbox.from_settings(settings) as inbox:
        return inbox.events_after(0, 1000)


def test_a_signed_freshbooks_delivery_is_queued(client: httpx.Client, configured: Settings):
    body, headers = freshbooks_delivery(VERIFIER, "invoice.create", 4242)
    started = time.perf_counter()
    response = client.post(FB, content=body, headers=headers)
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 200 and response.json() == {"result": "accepted"}
    (event,) = events(configured)
    assert (event.source, event.topic, event.object_id, event.account_id) == (
        "freshbooks",
        "invoice.create",
        "4242",
        "6BApk",
    )
    assert event.dedup_key == hashlib.sha256(body).hexdigest()
    assert event.data() == {
        "name": "invoice.create",
        "object_id": "4242",
        "account_id": "6BApk",
        "business_id": "6543",
        "identity_id": "1234",
        "user_id": "1",
    }


def test_forged_unsigned_and_tampered_freshbooks_deliveries_are_refused(
    client: httpx.Client, counters: Counters, configured: Settings
):
    body, headers = freshbooks_delivery(VERIFIER)
    forged_body, forged = freshbooks_delivery("not-the-verifier-at-all-0123456")
    unsigned = {k: v for k, v in headers.items() if k != "X-FreshBooks-Hmac-SHA256"}
    cases = [
        (forged_body, forged, "bad_signature"),
        (body, unsigned, "missing_signature"),
        (body.replace(b"1234567", b"7654321"), headers, "bad_signature"),
        (body, {**headers, "X-FreshBooks-Hmac-SHA256": "\u00e9t\u00e9".encode()}, "bad_signature"),
        (b"\xff\xfe", headers, "bad_signature"),
    ]
    for payload, sent, reason in cases:
        response = client.post(FB, content=payload, headers=sent)
        assert response.status_code == 401 and response.json() == {"error": reason}
    assert events(configured) == []
    counts = counters.snapshot()["freshbooks"]
    assert counts["rejected"] == len(cases) and counts["accepted"] == 0


def test_shop_deliveries_valid_forged_unsigned_stale_and_from_the_future(
    client: httpx.Client, counters: Counters, configured: Settings
):
    secret = configured.shop_webhook_secret.get_secret_value()
    body, headers = shop_delivery(secret, order_id=555)
    response = client.post(SHOP, content=body, headers=headers)
    assert response.status_code == 200 and response.json() == {"result": "accepted"}

    stale_body, stale_headers = shop_delivery(secret, triggered=stale())
    future_body, future = shop_delivery(secret, triggered=stale(hours=-1))
    forged_body, forged = shop_delivery("shpss_an_attacker_guess", order_id=556)
    cases = [
        (forged_body, forged, "bad_signature"),
        (body + b" ", headers, "bad_signature"),
        (body, {k: v for k, v in headers.items() if "Hmac" not in k}, "missing_header"),
        (stale_body, stale_headers, "stale"),
        (future_body, future, "from_the_future"),
        (body, {**headers, "X-Shopify-Triggered-At": "yesterday"}, "bad_timestamp"),
    ]
    for payload, sent, reason in cases:
        response = client.post(SHOP, content=payload, headers=sent)
        assert response.status_code == 401 and response.json() == {"error": reason}
    (event,) = events(configured)
    assert (event.source, event.topic, event.object_id) == ("shop", "orders/create", "555")
    assert event.dedup_key == headers["X-Shopify-Event-Id"] and event.payload == body.decode()
    assert event.account_id == "ledgerlink-sandbox.myshopify.com" and event.occurred_at
    reasons = counters.snapshot()["shop"]["rejected_reasons"]
    assert reasons == {
        "bad_signature": 2,
        "missing_header": 1,
        "stale": 1,
        "from_the_future": 1,
        "bad_timestamp": 1,
    }


def test_the_same_event_delivered_twice_makes_one_row(
    client: httpx.Client, counters: Counters, configured: Settings
):
    secret = configured.shop_webhook_secret.get_secret_value()
    body, headers = shop_delivery(secret)
    # a retry: same event id and body, a new webhook id
    retry = {**headers, "X-Shopify-Webhook-Id": "another-attempt"}
    fb_body, fb_headers = freshbooks_delivery(VERIFIER)
    replies = [
        client.post(SHOP, content=body, headers=headers),
        client.post(SHOP, content=body, headers=retry),
        client.post(FB, content=fb_body, headers=fb_headers),
        client.post(FB, content=fb_body, headers=fb_headers),
    ]
    assert [r.status_code for r in replies] == [200] * 4
    assert [r.json()["result"] for r in replies] == ["accepted", "duplicate"] * 2
    assert len(events(configured)) == 2
    with Inbox.from_settings(configured) as inbox:
        assert inbox.pending_count() == 2 and inbox.last_id() == 2
    for source in ("shop", "freshbooks"):
        assert counters.snapshot()[source]["accepted"] == 1
        assert counters.snapshot()[source]["duplicate"] == 1


def test_healthz_tells_a_stranger_only_that_the_receiver_is_up(
    client: httpx.Client, configured: Settings
):
    body, headers = freshbooks_delivery(VERIFIER)
    client.post(FB, content=body, headers=headers)
    client.post(FB, content=body, headers={"X-FreshBooks-Hmac-SHA256": "forged"})
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}


def test_an_identical_freshbooks_delivery_is_a_repeat_until_the_window_ends(
    client: httpx.Client, configured: Settings
):
    body, headers = freshbooks_delivery(VERIFIER, "invoice.update", 77)
    assert client.post(FB, content=body, headers=headers).json()["result"] == "accepted"
    assert client.post(FB, content=body, headers=headers).json()["result"] == "duplicate"
    time.sleep(configured.webhooks_dedupe_window_seconds + 0.1)
    assert client.post(FB, content=body, headers=headers).json()["result"] == "accepted"
    assert [e.object_id for e in events(configured)] == ["77", "77"]


def test_oversized_and_malformed_bodies(client: httpx.Client, configured: Settings):
    huge = client.post(
        FB, content=b"name=" + b"x" * 20_000, headers={"X-FreshBooks-Hmac-SHA256": "x"}
    )
    assert huge.status_code == 413 and huge.json() == {"error": "too_large"}
    # authentic but missing its object id: refused, not queued
    body, headers = freshbooks_delivery(VERIFIER, object_id="")
    response = client.post(FB, content=body, headers=headers)
    assert response.status_code == 400 and response.json() == {"error": "missing_fields"}
    bad = client.post(FB, content=b"name=callback.verify&object_id=x&verifier=short")
    assert bad.status_code == 400 and bad.json() == {"error": "bad_verification"}
    assert events(configured) == []


def test_without_a_shop_secret_shop_deliveries_are_refused(settings: Settings):
    bare = settings.model_copy(update={"shop_webhook_secret": SecretStr("")})
    body, headers = shop_delivery("shpss_anything")
    with serving_app(bare) as (url, _app):
        response = httpx.post(f"{url}{SHOP}", content=body, headers=headers)
    assert response.status_code == 503 and response.json() == {"error": "not_configured"}
    assert events(bare) == []


def test_a_captured_freshbooks_delivery_replayed_within_thirty_days_is_not_queued(
    settings: Settings,
):
    """FreshBooks deliveries carry no timestamp: only remembering them stops a replay. By
    default a delivery is remembered for 30 days, counted from its first arrival."""
    assert settings.webhooks_dedupe_window_seconds == 30 * 24 * 3600
    body, headers = freshbooks_delivery(VERIFIER, "payment.create", 9001)
    receiver = FreshBooksReceiver(
        settings.model_copy(update={"freshbooks_webhook_verifier": SecretStr(VERIFIER)}),
        inbox := Inbox.from_settings(settings),
        verifiers := CallbackVerifiers(settings.inbox_path),
        confirmer := CallbackConfirmer(settings, verifiers),
    )
    signature = headers["X-FreshBooks-Hmac-SHA256"]
    first = datetime.now(UTC)
    try:
        with frozen_clock(first):
            assert receiver.handle(body, signature).result == "accepted"
        with frozen_clock(first + timedelta(days=29, hours=23)):
            assert receiver.handle(body, signature).result == "duplicate"
        with frozen_clock(first + timedelta(days=30, minutes=1)):
            assert receiver.handle(body, signature).result == "accepted"
        assert [e.object_id for e in inbox.events_after(0)] == ["9001", "9001"]
    finally:
        confirmer.close()
        inbox.close()
        verifiers.close()


@contextmanager
def frozen_clock(moment: datetime) -> Iterator[None]:
    """The inbox's clock reads `moment` (the receiver passes no time of its own)."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inbox_module, "datetime", Clock)
        yield
