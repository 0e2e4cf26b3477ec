"""The shop connector on the real sandbox: paging, filters, money, quarantine, errors, webhooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from conftest import clear_faults, inject_faults, reset_emulator
from pydantic import SecretStr

from ledgerlink.connectors.shop import (
    Order,
    Rejected,
    ShopAuthError,
    ShopClient,
    ShopWebhookVerifier,
    WebhookRejected,
    partition,
    sign_webhook,
    verify_webhook,
)
from ledgerlink.errors import MalformedResponse, NotFound, TransientFailure
from ledgerlink.http import build_client
from ledgerlink.settings import Settings

pytestmark = pytest.mark.integration

FAST = 100.0  # requests per second for the client under test; the emulator has no limit of its own


@pytest.fixture
def shop_url(sandbox: dict) -> str:
    return sandbox["urls"]["shop"]


@pytest.fixture
def client(settings: Settings) -> Iterator[ShopClient]:
    with ShopClient.from_settings(settings, rate_limit=FAST) as shop:
        yield shop


def truth(shop_url: str) -> dict:
    return httpx.get(f"{shop_url}/_sandbox/shop/counts", timeout=10).json()


class Server:
    """A tiny real HTTP server: records POSTed webhooks, answers GETs with a fixed body."""

    def __init__(self, get_body: bytes = b"", get_type: str = "text/html") -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.received.append((dict(self.headers.items()), body))
                self._answer(200, b"", "text/plain")

            def do_GET(self) -> None:
                self._answer(200, get_body, get_type)

            def _answer(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 15) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- reads --------------------------------------------------------------------------------------
def test_link_paging_returns_exactly_the_emulator_counts(client: ShopClient, shop_url: str) -> None:
    expected = truth(shop_url)
    orders, rejected = partition(client.orders(limit=40))  # several pages
    assert not rejected
    assert len(orders) == len({o.id for o in orders}) == expected["orders"]
    assert client.count("orders", status="any") == expected["orders"]
    customers, rejected = partition(client.customers(limit=25))
    assert not rejected and len(customers) == expected["customers"]
    products, rejected = partition(client.products(limit=7))
    assert not rejected and len(products) == expected["products"]
    assert all(p.variants and p.variants[0].sku for p in products)


def test_updated_at_min_returns_only_later_changes(client: ShopClient) -> None:
    everything, _ = partition(client.orders())
    stamps = sorted(o.updated_at for o in everything)
    since = stamps[len(stamps) * 2 // 3]
    recent, rejected = partition(client.orders(updated_at_min=since, limit=20))
    assert not rejected
    assert {o.id for o in recent} == {o.id for o in everything if o.updated_at >= since}
    assert 0 < len(recent) < len(everything)
    assert client.count("orders", status="any", updated_at_min=since) == len(recent)


def test_money_is_exact_decimal_and_timestamps_are_utc(client: ShopClient) -> None:
    raw = {r["id"]: r for r in client.iter_raw("orders", status="any")}
    orders, _ = partition(client.orders())
    for order in orders:
        assert isinstance(order.total_price, Decimal)
        assert str(order.total_price) == raw[order.id]["total_price"]  # "19.90" stays "19.90"
        lines = sum((li.subtotal for li in order.line_items), Decimal("0"))
        tax = sum((li.tax for li in order.line_items), Decimal("0"))
        discount = sum((li.discount for li in order.line_items), Decimal("0"))
        assert lines == order.total_line_items_price
        assert discount == order.total_discounts and tax == order.total_tax
        assert order.total_price == lines - discount + tax + order.shipping
        assert order.created_at.utcoffset() == timedelta(0)
        local = datetime.fromisoformat(raw[order.id]["created_at"])
        assert local.utcoffset() != timedelta(0) and local == order.created_at
    assert {o.payment_gateway for o in orders} >= {"shopify_payments", "paypal", "stripe", "manual"}


def test_invalid_record_is_quarantined_with_its_reason(client: ShopClient, shop_url: str) -> None:
    reset_emulator(shop_url)
    good = client.iter_raw("orders", status="any", limit=1)
    bad = dict(next(good), id=9_999_999_999_999, order_number=99999, name="#99999")
    bad["total_price"] = "twelve dollars"
    bad["updated_at"] = "2025-03-01T10:00:00"  # no offset: not an instant
    stored = httpx.post(
        f"{shop_url}/_sandbox/shop/raw/orders", content=json.dumps(bad, default=str), timeout=10
    )
    stored.raise_for_status()

    orders, rejected = partition(client.orders())
    assert [r.raw["id"] for r in rejected] == [bad["id"]]
    reason = rejected[0].reason
    assert "total_price" in reason and "updated_at" in reason
    assert rejected[0].source == "shop" and rejected[0].entity == "orders"
    assert len(orders) + len(rejected) == truth(shop_url)["orders"]
    with pytest.raises(MalformedResponse) as single:
        client.get_order(bad["id"])
    assert isinstance(single.value.details, Rejected)
    reset_emulator(shop_url)


def test_single_records_and_not_found(client: ShopClient) -> None:
    first = next(o for o in client.orders(limit=5) if isinstance(o, Order))
    assert client.get_order(first.id) == first
    if first.customer is not None:
        customer = client.get_customer(first.customer.id)
        assert client.find_customer(customer.email.upper()) == customer
    assert client.find_customer("nobody@nowhere.example") is None
    with pytest.raises(NotFound):
        client.get_order(1)


def test_wrong_token_raises_auth_error(settings: Settings) -> None:
    wrong = settings.model_copy(update={"shop_access_token": SecretStr("shpat_not-the-token")})
    with (
        ShopClient.from_settings(wrong, rate_limit=FAST) as shop,
        pytest.raises(ShopAuthError) as err,
    ):
        shop.count()
    assert err.value.status == 401
    assert "not-the-token" not in str(err.value)


def test_non_json_answer_is_malformed(settings: Settings) -> None:
    server = Server(b"<html>maintenance</html>")
    try:
        shop = ShopClient(build_client("shop", server.url, settings, rate_limit=FAST))
        with pytest.raises(MalformedResponse):
            shop.count()
    finally:
        server.close()


# --- the one HTTP policy under faults ----------------------------------------------------------
def test_429_and_5xx_faults_are_retried_and_the_read_is_unchanged(
    client: ShopClient, shop_url: str
) -> None:
    baseline = [o.id for o in client.orders(limit=50)]
    before = httpx.get(f"{shop_url}/_sandbox/stats").json()
    inject_faults(
        shop_url,
        {"status": 429, "retry_after": 1, "count": 1, "path": "/orders.json"},
        {"status": 503, "count": 2, "skip": 1, "path": "/orders.json"},
        {"status": 502, "count": 1, "skip": 2, "path": "/orders.json"},
    )
    try:
        again = [o.id for o in client.orders(limit=50)]
        after = httpx.get(f"{shop_url}/_sandbox/stats").json()
    finally:
        clear_faults(shop_url)
    assert again == baseline
    fired = after.get("fault_status", 0) - before.get("fault_status", 0)
    assert fired == 4


def test_server_rate_limit_429s_are_waited_out(client: ShopClient, shop_url: str) -> None:
    baseline = [o.id for o in client.orders(limit=50)]
    before = httpx.get(f"{shop_url}/_sandbox/stats").json().get("rate_limited", 0)
    inject_faults(shop_url, rate_limit_per_second=1)  # the client asks for 500/s
    try:
        again = [o.id for o in client.orders(limit=50)]
        limited = httpx.get(f"{shop_url}/_sandbox/stats").json().get("rate_limited", 0) - before
    finally:
        clear_faults(shop_url)
    assert again == baseline
    assert limited >= 1


def test_faults_outlasting_the_retry_budget_raise_transient_failure(
    settings: Settings, shop_url: str
) -> None:
    impatient = settings.model_copy(update={"http_max_attempts": 2})
    inject_faults(shop_url, {"status": 503, "count": 5, "path": "/orders/count.json"})
    try:
        with (
            ShopClient.from_settings(impatient, rate_limit=FAST) as shop,
            pytest.raises(TransientFailure) as err,
        ):
            shop.count("orders")
    finally:
        clear_faults(shop_url)
    assert err.value.status == 503


# --- webhooks -----------------------------------------------------------------------------------
def _headers(body: bytes, secret: str, triggered: datetime) -> dict[str, str]:
    return {
        "X-Shopify-Hmac-Sha256": sign_webhook(body, secret),
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "X-Shopify-Triggered-At": triggered.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",
        "X-Shopify-Shop-Domain": "example.myshopify.com",
    }


def test_webhook_signature_valid_forged_and_replayed() -> None:
    secret, body = "shpss_test_secret", b'{"id":820982911946154508,"total_price":"19.95"}'
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    fresh = _headers(body, secret, now - timedelta(seconds=3))

    hook = verify_webhook(fresh, body, secret, now=now)
    assert hook.topic == "orders/create" and hook.dedup_key == fresh["X-Shopify-Event-Id"]
    assert hook.triggered_at == datetime(2026, 1, 5, 11, 59, 57, tzinfo=UTC)
    assert hook.payload()["total_price"] == "19.95"

    lowercase = {k.lower(): v for k, v in fresh.items()}
    assert verify_webhook(lowercase, body, secret, now=now).webhook_id == hook.webhook_id

    cases = {
        "bad_signature": (fresh, body.replace(b"19.95", b"0.01"), secret),
        "bad_signature ": (fresh, body, "another-secret"),
        "missing_header": ({k: v for k, v in fresh.items() if "Hmac" not in k}, body, secret),
        "stale": (_headers(body, secret, now - timedelta(hours=6)), body, secret),
        "from_the_future": (_headers(body, secret, now + timedelta(hours=1)), body, secret),
    }
    for reason, (headers, payload, key) in cases.items():
        with pytest.raises(WebhookRejected) as err:
            verify_webhook(headers, payload, key, now=now)
        assert err.value.reason == reason.strip()

    strict = ShopWebhookVerifier(secret, tolerance=timedelta(minutes=5))
    with pytest.raises(WebhookRejected):
        strict.verify(_headers(body, secret, now - timedelta(minutes=6)), body, now=now)


def test_delivered_orders_create_webhook_verifies_with_the_connector(
    client: ShopClient, settings: Settings, shop_url: str
) -> None:
    reset_emulator(shop_url)
    server = Server()
    try:
        address = f"{server.url}/webhooks/shop"
        subscription = client.ensure_webhook("orders/create", address)
        assert client.ensure_webhook("orders/create", address).id == subscription.id
        placed = httpx.post(
            f"{shop_url}/_sandbox/shop/orders",
            json={"email": "webhook.buyer@example.org", "line_items": []},
            timeout=10,
        ).json()["order"]
        (headers, body), *_ = server.wait_for(1)
    finally:
        server.close()
    verifier = ShopWebhookVerifier(settings.shop_webhook_secret)
    hook = verifier.verify(headers, body)
    assert hook.topic == "orders/create" and hook.dedup_key
    order = hook.order()
    assert isinstance(order, Order) and order.id == placed["id"]
    assert order == client.get_order(placed["id"])
    with pytest.raises(WebhookRejected):
        verifier.verify(headers, body + b" ")
    client.delete_webhook(subscription.id)
    assert client.webhooks(topic="orders/create") == []
