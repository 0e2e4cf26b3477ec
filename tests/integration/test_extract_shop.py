"""Extracting the shop into a real DuckDB file: full and incremental, and the progress
counting the requests the shop served."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import duckdb
import httpx
import pytest
from conftest import reset_emulator
from dlt.common.runtime.collector import LogCollector
from typer.testing import CliRunner

from ledgerlink.cli import app
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


def test_the_progress_counts_every_request_the_shop_served(settings, shop_url):
    # a bigger shop, so that the resources read more than a page each, in dlt's worker threads
    scale = httpx.get(f"{shop_url}/_sandbox/health", timeout=10).json()["scale"]
    reset = f"{shop_url}/_sandbox/reset"
    httpx.post(reset, json={"scale": scale * 4}, timeout=120).raise_for_status()
    lines = io.StringIO()
    # a line when a step starts and one when it ends, with the step's totals
    collector = LogCollector(log_period=3600, logger=lines, dump_system_stats=False)
    try:
        [result] = extract(settings, ["shop"], progress=collector)
        served = httpx.get(f"{shop_url}/_sandbox/stats", timeout=10).json()["requests"]
    finally:
        httpx.post(reset, json={"scale": scale}, timeout=120).raise_for_status()
    extracted, normalized = lines.getvalue().split(" Normalize shop ", 1)
    # the source's step (the second `Extract shop` is dlt's state: no requests)
    assert re.findall(r"^Requests: (\d+) ", extracted, re.MULTILINE)[-1] == str(served)
    assert served > 3  # more than one page of a resource
    assert "Requests" not in normalized
    assert "Requests" not in result.rows and result.rows["orders"] > 0


def test_the_command_shows_the_requests_as_progress_and_not_in_its_summary(
    settings, shop_url, monkeypatch
):
    monkeypatch.setenv("LEDGERLINK_HOME", str(settings.home))
    monkeypatch.setenv("SHOP_RATE_LIMIT", "500")
    runner = CliRunner()
    shown = runner.invoke(app, ["extract", "--source", "shop"])
    assert shown.exit_code == 0, shown.output
    served = httpx.get(f"{shop_url}/_sandbox/stats", timeout=10).json()["requests"]
    assert f"\nRequests: {served} " in shown.stderr  # the plain lines: stderr is no terminal
    assert "Requests" not in shown.stdout and "raw_shop" in shown.stdout

    quiet = runner.invoke(app, ["extract", "--source", "shop", "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert "Requests" not in quiet.output
