"""Extracting the shop into a real DuckDB file: full and incremental."""

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


def count(settings, table: str) -> int:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(f"select count(*) from raw_shop.{table}").fetchone()[0]


def test_full_then_incremental(settings, shop_url):
    truth = httpx.get(f"{shop_url}/_sandbox/shop/counts", timeout=10).json()
    [first] = extract(settings, ["shop"])
    for table in ("orders", "customers", "products"):
        expected = truth[table]["total"] if isinstance(truth[table], dict) else truth[table]
        assert count(settings, table) == expected, table
    assert first.rows["orders__line_items"] == count(settings, "orders__line_items")

    created = httpx.post(
        f"{shop_url}/_sandbox/shop/orders",
        json={"email": "first.time@example.org", "first_name": "First", "last_name": "Time"},
        timeout=10,
    ).json()
    [second] = extract(settings, ["shop"])
    assert second.rows.get("orders") == 1
    assert second.rows.get("customers") == 1  # the new buyer
    assert count(settings, "orders") == first.rows["orders"] + 1
    order_id = (created.get("order") or created)["id"]
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert (
            con.execute(f"select count(*) from raw_shop.orders where id = {order_id}").fetchone()[0]
            == 1
        )

    [third] = extract(settings, ["shop"])
    assert third.total_rows == 0
