"""Extracting FreshBooks into a real DuckDB file: full, incremental, under faults."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import duckdb
import httpx
import pytest
from conftest import clear_faults, inject_faults, reset_emulator

from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from pipelines.extract import extract

TABLES = {
    "clients": "clients",
    "invoices": "invoices",
    "payments": "payments",
    "expenses": "expenses",
    "expense_categories": "categories",
    "items": "items",
    "taxes": "taxes",
    "credit_notes": "credit_notes",
}


@pytest.fixture
def fb_url(sandbox: dict) -> Iterator[str]:
    url = sandbox["urls"]["freshbooks"]
    reset_emulator(url)
    httpx.post(f"{url}/_sandbox/clock", json={"reset": True}, timeout=10).raise_for_status()
    yield url
    reset_emulator(url)
    httpx.post(f"{url}/_sandbox/clock", json={"reset": True}, timeout=10).raise_for_status()


@pytest.fixture
def authorized(settings, fb_url):
    authorize_headless(settings, FreshBooksTokenManager(settings))
    return settings


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def table_counts(settings) -> dict[str, int]:
    return {t: query(settings, f"select count(*) from raw_freshbooks.{t}")[0][0] for t in TABLES}


def sandbox_totals(url: str) -> dict[str, int]:
    counts = httpx.get(f"{url}/_sandbox/freshbooks/counts", timeout=10).json()
    return {table: counts[name]["total"] for table, name in TABLES.items()}


def test_full_load_matches_the_sandbox_to_the_cent(authorized, fb_url):
    [result] = extract(authorized, ["freshbooks"])
    assert table_counts(authorized) == sandbox_totals(fb_url)  # deleted records included
    assert result.rows["invoices"] == sandbox_totals(fb_url)["invoices"]

    with FreshBooksClient.from_settings(authorized) as client:
        api_total = sum(
            (
                i.amount.amount
                for vis in (None, 1)
                for i in client.list("invoices", search=Search(vis_state=vis))
            ),
            Decimal("0"),
        )
        lines = sum(
            len(i.lines)
            for vis in (None, 1)
            for i in client.list("invoices", search=Search(vis_state=vis))
        )
    [(raw_total, raw_lines)] = query(
        authorized,
        "select sum(cast(amount__amount as decimal(18, 2))), "
        "(select count(*) from raw_freshbooks.invoices__lines) from raw_freshbooks.invoices",
    )
    assert raw_total == api_total
    assert raw_lines == lines
    deleted = query(authorized, "select count(*) from raw_freshbooks.clients where vis_state = 1")[
        0
    ][0]
    assert deleted >= 1  # deletes are kept as flags, not lost


def test_incremental_runs_pick_up_exactly_the_changes_across_an_eastern_day(authorized, fb_url):
    # 23:40 in New York on 2026-03-14 (EDT starts on the 8th): the day ends before the next run.
    httpx.post(f"{fb_url}/_sandbox/clock", json={"set": "2026-03-15T03:40:00Z"}, timeout=10)
    extract(authorized, ["freshbooks"])
    before = table_counts(authorized)

    with FreshBooksClient.from_settings(authorized) as client:
        new_client = client.create(
            "clients", {"email": "late.night@example.org", "organization": "Late Night"}
        )
        invoice = next(client.list("invoices", search=Search()))
        client.update("invoices", invoice.id, {"notes": "changed just before midnight"})
        httpx.post(
            f"{fb_url}/_sandbox/clock", json={"advance_seconds": 1800}, timeout=10
        )  # next day
        payment = next(client.list("payments", search=Search()))
        client.delete("payments", payment.id)

    [second] = extract(authorized, ["freshbooks"])
    assert second.rows.get("clients") == 1
    assert second.rows.get("invoices") == 1
    assert second.rows.get("payments") == 1
    after = table_counts(authorized)
    assert after["clients"] == before["clients"] + 1
    assert after["invoices"] == before["invoices"] and after["payments"] == before["payments"]
    [(notes,)] = query(
        authorized, f"select notes from raw_freshbooks.invoices where id = {invoice.id}"
    )
    assert notes == "changed just before midnight"
    [(vis,)] = query(
        authorized, f"select vis_state from raw_freshbooks.payments where id = {payment.id}"
    )
    assert vis == 1
    assert (
        query(
            authorized, f"select count(*) from raw_freshbooks.clients where id = {new_client.id}"
        )[0][0]
        == 1
    )

    [third] = extract(authorized, ["freshbooks"])
    assert third.total_rows == 0


def test_load_completes_with_the_same_result_under_ten_percent_faults(authorized, fb_url):
    extract(authorized, ["freshbooks"])
    clean = table_counts(authorized)
    clean_sum = query(
        authorized, "select sum(cast(amount__amount as decimal(18,2))) from raw_freshbooks.payments"
    )
    inject_faults(
        fb_url,
        {"kind": "status", "status": 429, "retry_after": 0.05, "rate": 0.04},
        {"kind": "status", "status": 503, "rate": 0.03},
        {"kind": "drop", "rate": 0.03},
    )
    try:
        extract(authorized, ["freshbooks"], full_refresh=True)
    finally:
        fired = httpx.get(f"{fb_url}/_sandbox/stats", timeout=10).json()
        clear_faults(fb_url)
    assert sum(v for k, v in fired.items() if k.startswith("fault_")) > 0
    assert table_counts(authorized) == clean
    assert (
        query(
            authorized,
            "select sum(cast(amount__amount as decimal(18,2))) from raw_freshbooks.payments",
        )
        == clean_sum
    )
