"""Extracting Infor M3 into a real DuckDB file: full, then only what changed."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import duckdb
import httpx
import pytest
from conftest import reset_emulator

from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.inputs import BatchOrderHead, BatchOrderLine, CustomerBasicData
from pipelines.extract import extract

# raw_infor table -> the emulator's own count of what the lists serve
GROUND_TRUTH = {
    "customers": "customers",
    "customer_orders": "orders",
    "customer_order_lines": "order_lines",
    "deliveries": "deliveries",
    "delivery_lines": "delivery_lines",
    "customer_invoices": "invoices",
    "gl_voucher_lines": "gl_lines",
    "items": "items",
    "suppliers": "suppliers",
}


@pytest.fixture
def infor_url(sandbox: dict) -> Iterator[str]:
    url = sandbox["urls"]["infor"]
    reset_emulator(url)
    yield url
    reset_emulator(url)


def counts(settings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return {
            t: con.execute(f"select count(*) from raw_infor.{t}").fetchone()[0]
            for t in GROUND_TRUTH
        }


def test_full_load_matches_what_m3_serves(settings, infor_url):
    extract(settings, ["infor"])
    truth = httpx.get(f"{infor_url}/_sandbox/infor/counts", timeout=10).json()
    assert counts(settings) == {table: truth[name] for table, name in GROUND_TRUTH.items()}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        values = con.execute(
            "select distinct typeof(acam) from raw_infor.gl_voucher_lines"
        ).fetchall()
    assert values == [("VARCHAR",)]  # M3 strings, typed in staging


def test_incremental_runs_load_only_changes(settings, infor_url):
    extract(settings, ["infor"])
    before = counts(settings)
    with InforClient.from_settings(settings) as infor:
        customer = next(infor.customers.list_customers())
        infor.customers.change_basic_data(
            CustomerBasicData(CUNO=customer.customer_number, PHNO="+1-555-000-1111")
        )
        order = infor.orders.create(
            BatchOrderHead(CUNO=customer.customer_number, CUOR="INV-TEST-1"),
            [BatchOrderLine(ITNO=next(infor.items.list_items()).item_number, ORQT=Decimal(2))],
        )
    [second] = extract(settings, ["infor"])
    assert second.rows.get("customers") == 1
    assert second.rows.get("customer_orders") == 1
    assert second.rows.get("customer_order_lines") == 1
    after = counts(settings)
    assert after["customer_orders"] == before["customer_orders"] + 1

    httpx.post(
        f"{infor_url}/_sandbox/infor/orders/{order.order_number}/ship", timeout=10
    ).raise_for_status()
    [third] = extract(settings, ["infor"])
    assert third.rows.get("customer_orders") == 1  # its status moved
    assert third.rows.get("delivery_lines") == 1 and third.rows.get("deliveries") == 1
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        status = con.execute(
            f"select orst from raw_infor.customer_orders where orno = '{order.order_number}'"
        ).fetchone()
    assert status[0] >= "66"

    [fourth] = extract(settings, ["infor"])
    assert fourth.total_rows == 0
