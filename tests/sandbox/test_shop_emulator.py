"""The shop emulator over real HTTP: auth, shapes, money, paging, filters, controls, webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from conftest import clear_faults, inject_faults, reset_emulator

from sandbox.generator import World
from sandbox.shop.derive import ShopWorld
from sandbox.shop.documents import build_order

pytestmark = pytest.mark.integration

API = "/admin/api/2024-07"
MONEY = re.compile(r"^-?\d+\.\d{2}$")
SHOP_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00$")


@pytest.fixture(scope="module")
def shop(sandbox: dict) -> dict[str, str]:
    env = sandbox["environment"]
    return {
        "url": sandbox["urls"]["shop"],
        "token": env["SHOP_ACCESS_TOKEN"],
        "secret": env["SHOP_WEBHOOK_SECRET"],
    }


@pytest.fixture(scope="module")
def api(shop: dict[str, str]) -> Iterator[httpx.Client]:
    headers = {"X-Shopify-Access-Token": shop["token"]}
    with httpx.Client(base_url=shop["url"] + API, headers=headers, timeout=30) as client:
        yield client


def counts(shop: dict[str, str]) -> dict[str, Any]:
    return httpx.get(f"{shop['url']}/_sandbox/shop/counts", timeout=10).json()


def walk(api: httpx.Client, path: str, params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every page of a list, following `Link: rel="next"`."""
    resource = path.removesuffix(".json").rsplit("/", 1)[-1]
    pages, response = [], api.get(path, params=params)
    while True:
        response.raise_for_status()
        pages.append(response.json()[resource])
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            return pages
        response = api.get(next_url)


class Receiver:
    """A real HTTP server that records webhook deliveries; the first `fail_first` get a 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.deliveries.append((dict(self.headers.items()), body))
                failing = len(receiver.deliveries) <= receiver.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/shop"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 15) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.deliveries

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


# --- auth and error shapes ----------------------------------------------------------------------
def test_admin_api_refuses_missing_or_wrong_token(shop: dict[str, str]) -> None:
    for headers in ({}, {"X-Shopify-Access-Token": "shpat_wrong"}):
        response = httpx.get(f"{shop['url']}{API}/orders.json", headers=headers)
        assert response.status_code == 401
        assert "Invalid API key or access token" in response.json()["errors"]


def test_unknown_record_is_404_with_shopify_body(api: httpx.Client) -> None:
    response = api.get("/orders/1.json")
    assert response.status_code == 404
    assert response.json() == {"errors": "Not Found"}


def test_injected_429_has_retry_after_and_shopify_body(
    shop: dict[str, str], api: httpx.Client
) -> None:
    inject_faults(shop["url"], {"status": 429, "retry_after": 2, "count": 1, "path": "/orders"})
    try:
        limited = api.get("/orders.json")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "2"
        assert limited.json()["errors"].startswith("Exceeded 2 calls per second")
        assert api.get("/orders.json").status_code == 200
    finally:
        clear_faults(shop["url"])


# --- document shapes and money ------------------------------------------------------------------
def test_orders_have_shopify_types_and_totals_that_add_up(api: httpx.Client) -> None:
    orders = [
        o for page in walk(api, "/orders.json", {"status": "any", "limit": 250}) for o in page
    ]
    assert orders
    for order in orders:
        assert isinstance(order["id"], int) and order["name"] == f"#{order['order_number']}"
        assert SHOP_TIMESTAMP.match(order["created_at"]) and SHOP_TIMESTAMP.match(
            order["updated_at"]
        )
        for key in ("total_price", "subtotal_price", "total_tax", "total_discounts"):
            assert MONEY.match(order[key]), (key, order[key])
        lines = order["line_items"]
        items = sum(Decimal(li["price"]) * li["quantity"] for li in lines)
        tax = sum(Decimal(t["price"]) for li in lines for t in li["tax_lines"])
        shipping = sum(Decimal(s["price"]) for s in order["shipping_lines"])
        assert items == Decimal(order["total_line_items_price"])
        assert Decimal(order["subtotal_price"]) == items - Decimal(order["total_discounts"])
        assert tax == Decimal(order["total_tax"])
        assert Decimal(order["total_price"]) == Decimal(order["subtotal_price"]) + tax + shipping
    gateways = {o["gateway"] for o in orders}
    assert {"shopify_payments", "paypal", "stripe", "manual"} <= gateways
    assert {"paid", "pending", "refunded", "partially_paid"} <= {
        o["financial_status"] for o in orders
    }
    assert any("customer" not in o for o in orders), "guest checkouts have no customer"


def test_customers_are_world_contacts_and_products_are_world_skus(api: httpx.Client) -> None:
    world = World(seed=42, scale=1.0)
    company_emails = {c.email.lower() for c in world.companies}
    customers = [c for page in walk(api, "/customers.json", {"limit": 250}) for c in page]
    b2b = [c for c in customers if c["tags"] == "b2b"]
    assert b2b and all(c["email"].lower() in company_emails for c in b2b)
    freshbooks_emails = {c.email.lower() for c in world.freshbooks_companies()}
    assert any(c["email"].lower() in freshbooks_emails for c in b2b)
    assert any(c["tags"] == "" for c in customers), "consumers exist only in the shop"
    products = [p for page in walk(api, "/products.json", {"limit": 250}) for p in page]
    assert {p["variants"][0]["sku"] for p in products} == {p.sku for p in world.products}
    assert all(MONEY.match(p["variants"][0]["price"]) for p in products)


def test_derivation_is_deterministic_per_seed() -> None:
    def first_orders(seed: int) -> list[dict[str, Any]]:
        shop = ShopWorld.derive(World(seed=seed, scale=1.0))
        return [build_order(spec) for spec, _ in zip(shop.orders(), range(20), strict=False)]

    assert first_orders(42) == first_orders(42)
    assert first_orders(42) != first_orders(43)


# --- paging and filters -----------------------------------------------------------------------
def test_link_pages_cover_every_order_once_and_walk_back(
    shop: dict[str, str], api: httpx.Client
) -> None:
    pages = walk(api, "/orders.json", {"status": "any", "limit": 40})
    ids = [o["id"] for page in pages for o in page]
    assert len(pages) > 2
    assert len(ids) == len(set(ids)) == counts(shop)["orders"]
    assert ids == sorted(ids)

    # from the last page, `rel="previous"` leads back through the same pages
    response = api.get("/orders.json", params={"status": "any", "limit": 40})
    while "next" in response.links:
        response = api.get(response.links["next"]["url"])
    backwards = [[o["id"] for o in response.json()["orders"]]]
    while "previous" in response.links:
        response = api.get(response.links["previous"]["url"])
        backwards.append([o["id"] for o in response.json()["orders"]])
    assert backwards[::-1] == [[o["id"] for o in page] for page in pages]


def test_page_info_allows_only_limit_and_fields(api: httpx.Client) -> None:
    first = api.get("/orders.json", params={"status": "any", "limit": 10})
    link = httpx.URL(first.links["next"]["url"])
    page_info = link.params["page_info"]
    refused = api.get("/orders.json", params={"page_info": page_info, "status": "any"})
    assert refused.status_code == 400
    assert "status cannot be passed when page_info is present" in refused.json()["errors"]["status"]
    allowed = api.get(
        "/orders.json", params={"page_info": page_info, "limit": 5, "fields": "id,name"}
    )
    assert allowed.status_code == 200
    assert all(set(o) == {"id", "name"} for o in allowed.json()["orders"])
    assert api.get("/orders.json", params={"page_info": "not-a-cursor"}).status_code == 400


def test_limit_is_capped_at_250_and_must_be_positive(api: httpx.Client) -> None:
    response = api.get("/orders.json", params={"status": "any", "limit": 1000})
    assert response.status_code == 200 and len(response.json()["orders"]) <= 250
    assert api.get("/orders.json", params={"limit": 0}).status_code == 400


def test_status_defaults_to_open_orders(shop: dict[str, str], api: httpx.Client) -> None:
    truth = counts(shop)
    assert api.get("/orders/count.json").json()["count"] == truth["orders_open"]
    assert (
        api.get("/orders/count.json", params={"status": "any"}).json()["count"] == truth["orders"]
    )
    cancelled = api.get("/orders.json", params={"status": "cancelled", "limit": 250}).json()
    assert len(cancelled["orders"]) == truth["orders_cancelled"]
    assert all(o["cancelled_at"] for o in cancelled["orders"])


def test_updated_at_min_and_since_id_filter(api: httpx.Client) -> None:
    orders = [
        o for page in walk(api, "/orders.json", {"status": "any", "limit": 250}) for o in page
    ]

    def instant(text: str) -> datetime:
        return datetime.fromisoformat(text).astimezone(UTC)

    by_update = sorted(orders, key=lambda o: instant(o["updated_at"]))
    threshold = by_update[len(by_update) // 2]["updated_at"]  # with its -05:00/-04:00 offset

    expected = {o["id"] for o in orders if instant(o["updated_at"]) >= instant(threshold)}
    params = {"status": "any", "updated_at_min": threshold, "limit": 30}
    got = [o["id"] for page in walk(api, "/orders.json", params) for o in page]
    assert set(got) == expected and len(got) == len(expected)
    count = api.get("/orders/count.json", params={"status": "any", "updated_at_min": threshold})
    assert count.json()["count"] == len(expected)

    middle = sorted(o["id"] for o in orders)[len(orders) // 3]
    since = walk(api, "/orders.json", {"status": "any", "since_id": middle, "limit": 250})
    assert [o["id"] for page in since for o in page] == sorted(
        i["id"] for i in orders if i["id"] > middle
    )


def test_order_by_updated_at_pages_in_that_order(api: httpx.Client) -> None:
    params = {"status": "any", "limit": 35, "order": "updated_at desc"}
    orders = [o for page in walk(api, "/orders.json", params) for o in page]
    keys = [(o["updated_at"], o["id"]) for o in orders]
    from datetime import datetime

    instants = [(datetime.fromisoformat(u), i) for u, i in keys]
    assert instants == sorted(instants, reverse=True)
    assert len({o["id"] for o in orders}) == len(orders)


# --- controls ---------------------------------------------------------------------------------
def test_place_order_control_creates_order_and_customer(
    shop: dict[str, str], api: httpx.Client
) -> None:
    reset_emulator(shop["url"])
    before = counts(shop)
    sku = api.get("/products.json", params={"limit": 250}).json()["products"][5]["variants"][0][
        "sku"
    ]
    body = {
        "email": "new.buyer@example.org",
        "first_name": "New",
        "last_name": "Buyer",
        "line_items": [{"sku": sku, "quantity": 3}],
        "gateway": "paypal",
    }
    placed = httpx.post(f"{shop['url']}/_sandbox/shop/orders", json=body, timeout=10)
    assert placed.status_code == 201
    order = placed.json()["order"]
    assert order["line_items"][0]["sku"] == sku and order["line_items"][0]["quantity"] == 3
    assert order["gateway"] == "paypal" and order["financial_status"] == "paid"
    assert order["order_number"] == 1001 + before["orders"]
    after = counts(shop)
    assert after["orders"] == before["orders"] + 1
    assert after["customers"] == before["customers"] + 1
    fetched = api.get(f"/orders/{order['id']}.json").json()["order"]
    assert fetched == order
    customer = api.get(f"/customers/{order['customer']['id']}.json").json()["customer"]
    assert customer["orders_count"] == 1 and customer["total_spent"] == order["total_price"]

    default = httpx.post(f"{shop['url']}/_sandbox/shop/orders", timeout=10)
    assert default.status_code == 201 and default.json()["order"]["customer"]["tags"] == "b2b"
    unknown = httpx.post(
        f"{shop['url']}/_sandbox/shop/orders", json={"line_items": [{"sku": "NOPE-1"}]}, timeout=10
    )
    assert unknown.status_code == 422 and "NOPE-1" in unknown.json()["errors"]["line_items"][0]


def test_update_control_changes_state_and_updated_at(
    shop: dict[str, str], api: httpx.Client
) -> None:
    reset_emulator(shop["url"])
    pending = api.get("/orders.json", params={"financial_status": "pending", "limit": 1}).json()
    order = pending["orders"][0]
    changed = httpx.post(
        f"{shop['url']}/_sandbox/shop/orders/{order['id']}/update",
        json={"financial_status": "paid", "fulfillment_status": "fulfilled"},
        timeout=10,
    )
    assert changed.status_code == 200
    fetched = api.get(f"/orders/{order['id']}.json").json()["order"]
    assert fetched["financial_status"] == "paid" and fetched["fulfillment_status"] == "fulfilled"
    assert fetched["total_outstanding"] == "0.00"
    # the sandbox clock runs past the seeded data
    assert datetime.fromisoformat(fetched["updated_at"]) > datetime.fromisoformat(
        order["updated_at"]
    )
    missing = httpx.post(f"{shop['url']}/_sandbox/shop/orders/1/update", json={}, timeout=10)
    assert missing.status_code == 404


# --- webhooks ---------------------------------------------------------------------------------
def test_webhook_subscriptions_api(shop: dict[str, str], api: httpx.Client) -> None:
    reset_emulator(shop["url"])
    body = {
        "webhook": {
            "topic": "orders/create",
            "address": "https://example.com/hook",
            "format": "json",
        }
    }
    created = api.post("/webhooks.json", json=body)
    assert created.status_code == 201
    hook = created.json()["webhook"]
    assert hook["topic"] == "orders/create" and hook["api_version"] == "2024-07"
    assert api.post("/webhooks.json", json=body).status_code == 422  # same topic and address
    bad = api.post("/webhooks.json", json={"webhook": {"topic": "orders/eaten", "address": "x"}})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"topic", "address"}
    assert [w["id"] for w in api.get("/webhooks.json").json()["webhooks"]] == [hook["id"]]
    assert api.delete(f"/webhooks/{hook['id']}.json").status_code == 200
    assert api.get(f"/webhooks/{hook['id']}.json").status_code == 404


def test_orders_create_webhook_is_signed_as_shopify_does(
    shop: dict[str, str], api: httpx.Client, receiver: Receiver
) -> None:
    reset_emulator(shop["url"])
    hook = {"webhook": {"topic": "orders/create", "address": receiver.url, "format": "json"}}
    api.post("/webhooks.json", json=hook).raise_for_status()
    placed = httpx.post(f"{shop['url']}/_sandbox/shop/orders", json={}, timeout=10).json()["order"]

    (headers, body), *_ = receiver.wait_for(1)
    digest = hmac.new(shop["secret"].encode(), body, hashlib.sha256).digest()
    assert headers["X-Shopify-Hmac-Sha256"] == base64.b64encode(digest).decode()
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"].endswith(".myshopify.com")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", headers["X-Shopify-Triggered-At"])
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Event-Id"]
    assert json.loads(body) == placed


def test_failed_delivery_is_retried_with_the_same_ids(
    shop: dict[str, str], api: httpx.Client
) -> None:
    reset_emulator(shop["url"])
    receiver = Receiver(fail_first=1)
    try:
        hook = {"webhook": {"topic": "orders/create", "address": receiver.url, "format": "json"}}
        api.post("/webhooks.json", json=hook).raise_for_status()
        httpx.post(f"{shop['url']}/_sandbox/shop/orders", json={}, timeout=10).raise_for_status()
        first, second = receiver.wait_for(2)[:2]
    finally:
        receiver.close()
    for header in ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"):
        assert first[0][header] == second[0][header]
    assert first[1] == second[1]
    deliveries = httpx.get(f"{shop['url']}/_sandbox/shop/webhooks/deliveries").json()["deliveries"]
    assert [(d["status"], d["attempts"]) for d in deliveries] == [("delivered", 2)]
