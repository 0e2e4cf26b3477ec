"""Schema contracts: what a load does when the API adds a field or changes a field's type."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import httpx
import pytest
from conftest import reset_emulator

from pipelines.extract import extract


@pytest.fixture
def shop_url(sandbox: dict) -> Iterator[str]:
    url = sandbox["urls"]["shop"]
    reset_emulator(url)
    yield url
    reset_emulator(url)  # leave the seeded shop for the tests that follow


def columns(settings, table: str) -> dict[str, str]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_shop' and table_name = ?",
            [table],
        ).fetchall()
    return dict(rows)


def store_order(shop_url: str, settings, **changes) -> int:
    """A copy of a real order, changed, stored verbatim by the sandbox."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        max_id = con.execute("select max(id) from raw_shop.orders").fetchone()[0]
    order = httpx.get(
        f"{shop_url}/admin/api/2024-07/orders.json",
        params={"status": "any", "limit": 1},
        headers={"X-Shopify-Access-Token": settings.shop_access_token.get_secret_value()},
        timeout=10,
    ).json()["orders"][0]
    order.update(id=max_id + 1 + len(changes), updated_at="2030-01-01T09:00:00-05:00", **changes)
    httpx.post(f"{shop_url}/_sandbox/shop/raw/orders", json=order, timeout=10).raise_for_status()
    return order["id"]


def test_a_new_field_becomes_a_new_column_and_a_type_change_a_variant(settings, shop_url):
    extract(settings, ["shop"])
    before = columns(settings, "orders")
    assert before["order_number"] == "BIGINT"
    assert "loyalty_tier" not in before

    added = store_order(shop_url, settings, loyalty_tier="gold")
    extract(settings, ["shop"])
    after = columns(settings, "orders")
    assert after["loyalty_tier"] == "VARCHAR"

    changed = store_order(shop_url, settings, order_number="A-1001")
    extract(settings, ["shop"])
    variants = columns(settings, "orders")
    assert variants["order_number"] == "BIGINT"  # the existing column keeps its type
    assert variants["order_number__v_text"] == "VARCHAR"  # the odd value is kept, not lost
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        tier = con.execute(
            f"select loyalty_tier from raw_shop.orders where id = {added}"
        ).fetchone()
        odd = con.execute(
            f"select order_number, order_number__v_text from raw_shop.orders where id = {changed}"
        ).fetchone()
    assert tier == ("gold",)
    assert odd == (None, "A-1001")
