"""The receiver under uvicorn with the real emulators delivering to it, and under a burst."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest
from conftest import reset_emulator
from pydantic import SecretStr
from typer.testing import CliRunner
from webhook_support import (
    captured_logs,
    freshbooks_delivery,
    serving,
    serving_app,
    shop_delivery,
    verification,
    wait_for,
)

from ledgerlink.cli import app as cli
from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.connectors.shop.client import ShopClient
from ledgerlink.settings import Settings
from ledgerlink.webhooks import Inbox, InboxEvent
from ledgerlink.webhooks.verifiers import CallbackVerifiers

VERIFIER = "burst-test-verifier-0123456789abcdef"


@pytest.fixture
def freshbooks(settings: Settings) -> Iterator[FreshBooksClient]:
    """A FreshBooks client with stored tokens (the receiver's confirmer uses the same home)."""
    manager = FreshBooksTokenManager(settings)
    authorize_headless(settings, manager)
    with FreshBooksClient.from_settings(settings, manager) as client:
        yield client


@pytest.fixture
def shop(settings: Settings) -> Iterator[ShopClient]:
    with ShopClient.from_settings(settings) as client:
        yield client


def cli_run(settings: Settings, *args: str) -> str:
    env = {
        "LEDGERLINK_HOME": str(settings.home),
        "FRESHBOOKS_RATE_LIMIT": "500",
        "SHOP_RATE_LIMIT": "500",
    }
    result = CliRunner().invoke(cli, ["webhooks", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def inbox_events(settings: Settings) -> list[InboxEvent]:
    with Inbox.from_settings(settings) as inbox:
        return inbox.events_after(0, 5000)


def find_event(settings: Settings, topic: str, object_id: str) -> InboxEvent | None:
    matches = [e for e in inbox_events(settings) if (e.topic, e.object_id) == (topic, object_id)]
    return matches[0] if matches else None


def verifier_counts(settings: Settings) -> dict[str, int]:
    store = CallbackVerifiers(settings.inbox_path)
    try:
        return store.counts()
    finally:
        store.close()


def trusted_verifiers(settings: Settings) -> tuple[str, ...]:
    store = CallbackVerifiers(settings.inbox_path)
    try:
        return store.trusted()
    finally:
        store.close()


def restore(sandbox: dict) -> None:
    """Seeded data again, and no callbacks or subscriptions pointing at a stopped receiver."""
    reset_emulator(sandbox["urls"]["freshbooks"])
    reset_emulator(sandbox["urls"]["shop"])


def test_register_handshake_and_emulator_events_land_in_the_inbox(
    settings: Settings, sandbox: dict, freshbooks: FreshBooksClient, shop: ShopClient
):
    with captured_logs() as logs, serving(settings) as url:
        try:
            registered = cli_run(settings, "register", "--url", url)
            assert registered.count("registered") == 7, registered
            fb_uri = f"{url}/webhooks/freshbooks"

            def all_verified() -> bool:
                mine = [c for c in freshbooks.callbacks() if c.uri == fb_uri]
                return len(mine) == 4 and all(c.verified for c in mine)

            wait_for(all_verified, what="FreshBooks to accept the confirmed verifiers")
            assert wait_for(lambda: verifier_counts(settings)["trusted"] == 4)
            assert verifier_counts(settings)["pending"] == 0

            invoice = freshbooks.create(
                "invoices",
                {
                    "customerid": next(freshbooks.list("clients")).id,
                    "create_date": date.today().isoformat(),
                    "lines": [
                        {"name": "Webhook", "qty": 1, "unit_cost": {"amount": "5.00"}},
                    ],
                },
            )
            order = httpx.post(
                f"{sandbox['urls']['shop']}/_sandbox/shop/orders",
                json={"email": "webhook.inbox@example.org", "line_items": []},
                timeout=10,
            ).json()["order"]
            fb_event = wait_for(lambda: find_event(settings, "invoice.create", str(invoice.id)))
            shop_event = wait_for(lambda: find_event(settings, "orders/create", str(order["id"])))
            assert fb_event.source == "freshbooks" and fb_event.account_id == freshbooks.account_id
            assert shop_event.source == "shop" and shop_event.data()["id"] == order["id"]

            again = cli_run(settings, "register", "--url", url)
            assert again.count("exists") == 7 and "registered" not in again, again
            status = cli_run(settings, "status")
            assert "invoice.create" in status and "orders/create" in status
            assert "4 trusted, 0 pending" in status

            secrets = [
                *trusted_verifiers(settings),
                settings.shop_webhook_secret.get_secret_value(),
            ]
            assert len(secrets) == 5 and all(secrets)
            with sqlite3.connect(settings.inbox_path) as db:
                rows = db.execute("select * from events").fetchall()
            dumped = repr(rows)
            for secret in secrets:
                assert secret not in dumped
                assert secret not in logs.text
                assert secret not in registered + again + status
            assert "callback verified" in logs.text  # the handshake was logged, without secrets
        finally:
            restore(sandbox)


def test_a_planted_verifier_is_never_trusted(
    settings: Settings, sandbox: dict, freshbooks: FreshBooksClient
):
    with serving(settings) as url:
        fb_uri = f"{url}/webhooks/freshbooks"
        try:
            callback = freshbooks.register_callback("client", fb_uri)
            wait_for(lambda: verifier_counts(settings)["trusted"] == 1, what="the genuine one")
            (genuine,) = trusted_verifiers(settings)
            planted = "planted-by-an-attacker-0123456789"
            for callback_id in (callback.callbackid, 999_999):
                response = httpx.post(
                    fb_uri,
                    content=verification(callback_id, planted, freshbooks.account_id),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                assert response.status_code == 200  # acked, as FreshBooks expects
            wait_for(
                lambda: verifier_counts(settings) == {"pending": 0, "trusted": 1},
                what="FreshBooks to refuse the planted verifiers",
            )
            assert trusted_verifiers(settings) == (genuine,)

            body, headers = freshbooks_delivery(planted, "client.update", 1)
            refused = httpx.post(fb_uri, content=body, headers=headers)
            assert refused.status_code == 401 and refused.json() == {"error": "bad_signature"}
            body, headers = freshbooks_delivery(genuine, "client.update", 1)
            assert httpx.post(fb_uri, content=body, headers=headers).status_code == 200
            (listed,) = [c for c in freshbooks.callbacks() if c.uri == fb_uri]
            assert listed.verified

            client = next(freshbooks.list("clients"))
            freshbooks.update("clients", client.id, {"note": "seen by the webhook receiver"})
            wait_for(lambda: find_event(settings, "client.update", str(client.id)))
        finally:
            restore(sandbox)


def test_a_burst_of_1000_concurrent_deliveries_is_acked_and_kept(settings: Settings):
    configured = settings.model_copy(update={"freshbooks_webhook_verifier": SecretStr(VERIFIER)})
    secret = settings.shop_webhook_secret.get_secret_value()
    deliveries = [freshbooks_delivery(VERIFIER, "invoice.update", n) for n in range(500)]
    deliveries += [shop_delivery(secret, order_id=n) for n in range(500)]
    same_fb, same_shop = freshbooks_delivery(VERIFIER, "payment.create", 9), shop_delivery(secret)
    copies = [same_fb] * 32 + [same_shop] * 32

    with (
        serving_app(configured) as (url, app),
        httpx.Client(base_url=url, timeout=10, limits=httpx.Limits(max_connections=16)) as http,
    ):

        def send(delivery: tuple[bytes, dict[str, str]]) -> tuple[int, float]:
            body, headers = delivery
            path = "/webhooks/shop" if "X-Shopify-Topic" in headers else "/webhooks/freshbooks"
            started = time.perf_counter()
            response = http.post(path, content=body, headers=headers)
            return response.status_code, time.perf_counter() - started

        with ThreadPoolExecutor(max_workers=16) as pool:
            replies = list(pool.map(send, deliveries))
            assert [status for status, _ in replies] == [200] * 1000
            assert max(seconds for _, seconds in replies) < 1.0
            duplicates = list(pool.map(send, copies))
        assert [status for status, _ in duplicates] == [200] * 64
        counts = app.state.counters.snapshot()

    events = inbox_events(settings)
    assert len(events) == 1002 and len({(e.source, e.dedup_key) for e in events}) == 1002
    assert sorted(int(e.object_id or -1) for e in events if e.topic == "invoice.update") == list(
        range(500)
    )
    with Inbox.from_settings(settings) as inbox:
        assert inbox.pending_count() == 1002
    assert counts["freshbooks"]["accepted"] == 501
    assert counts["shop"]["accepted"] == 501
    assert counts["freshbooks"]["duplicate"] + counts["shop"]["duplicate"] == 62
