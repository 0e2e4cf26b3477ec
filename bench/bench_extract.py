"""Extract benchmarks: our FreshBooks pipeline against dlt's generic rest_api source, the request
rate under a server limit, incremental against full, and the load step at 100,000 invoices.

Usage: `.venv/bin/python bench/bench_extract.py [--scale 100] [--large-scale 500] [--skip-large]`

Every figure comes from one run on this machine: compare them with each other, not with others.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dlt
import httpx
from common import peak_rss_mb, sandbox_home, sandbox_stats, served
from dlt.sources.rest_api import rest_api_source

from ledgerlink.auth import TokenStore
from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.settings import Settings, load_settings
from pipelines.extract import extract, pipeline_for
from pipelines.freshbooks.settings import ENTITIES

UNTHROTTLED = 100_000.0


def settings_for(home: Path, **overrides: Any) -> Settings:
    settings = load_settings(ledgerlink_home=home, **overrides)
    tokens = FreshBooksTokenManager(settings)
    if tokens.store.load() is None:
        authorize_headless(settings, tokens)
    return settings


def step_seconds(settings: Settings, step: str) -> float:
    trace = pipeline_for(settings, "freshbooks").last_trace
    for s in trace.steps:
        if s.step == step:
            return (s.finished_at - s.started_at).total_seconds()
    return float("nan")


def rest_api_run(settings: Settings, warehouse: Path) -> tuple[int, float]:
    """The same endpoints through dlt's generic rest_api source, as its docs configure it."""
    with FreshBooksClient.from_settings(settings) as client:
        account = client.account_id
    token = (
        TokenStore(settings.token_dir / "freshbooks.json").load().access_token.get_secret_value()
    )
    resources = []
    for entity in ENTITIES:
        path = f"accounting/account/{account}/{_path(entity.resource)}"
        for suffix, extra in (("", {}), ("_deleted", {"search[vis_state]": 1})):
            if suffix and not entity.soft_delete:
                continue
            params = {"per_page": 100, **extra}
            if entity.table == "invoices":
                params["include[]"] = "lines"
            resources.append(
                {
                    "name": entity.table + suffix,
                    "endpoint": {
                        "path": path,
                        "params": params,
                        "data_selector": f"response.result.{entity.resource}",
                        "paginator": {
                            "type": "page_number",
                            "base_page": 1,
                            "page_param": "page",
                            "total_path": "response.result.pages",
                        },
                    },
                    "primary_key": "id",
                    "write_disposition": "merge",
                }
            )
    source = rest_api_source(
        {
            "client": {
                "base_url": settings.freshbooks_api_url + "/",
                "auth": {"type": "bearer", "token": token},
            },
            "resources": resources,
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_rest_api",
        pipelines_dir=str(warehouse.parent / "dlt-rest-api"),
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name="raw_rest_api",
    )
    started = time.perf_counter()
    pipeline.run(source)
    seconds = time.perf_counter() - started
    rows = pipeline.last_trace.last_normalize_info.row_counts
    return sum(n for t, n in rows.items() if not t.startswith("_dlt")), seconds


def _path(resource: str) -> str:
    from ledgerlink.connectors.freshbooks import RESOURCES

    return RESOURCES[resource].path


def ours_vs_rest_api(scale: float) -> None:
    with sandbox_home(scale, ["freshbooks"]) as (home, _info):
        settings = settings_for(home, freshbooks_rate_limit=UNTHROTTLED)
        started = time.perf_counter()
        [ours] = extract(settings, ["freshbooks"])
        ours_seconds = time.perf_counter() - started
        generic_rows, generic_seconds = rest_api_run(settings, home / "rest_api.duckdb")
    ours_rate, generic_rate = ours.total_rows / ours_seconds, generic_rows / generic_seconds
    print(f"\n1. full FreshBooks extract, scale {scale:g}, unthrottled client, same sandbox")
    for label, rows, seconds in (
        ("ours (parquet, parallel)", ours.total_rows, ours_seconds),
        ("dlt rest_api (defaults)", generic_rows, generic_seconds),
    ):
        print(f"   {label:<26} {rows:>7} rows {seconds:>6.1f} s {rows / seconds:>8.0f} rows/s")
    print(f"   ratio                      {ours_rate / generic_rate:.2f}x")


def under_a_server_limit(scale: float, limit: float) -> None:
    with sandbox_home(scale, ["freshbooks"]) as (home, info):
        url = info["urls"]["freshbooks"]
        settings = settings_for(home, freshbooks_rate_limit=limit)
        httpx.post(f"{url}/_sandbox/faults", json={"rate_limit_per_second": limit}, timeout=10)
        before = sandbox_stats(url)
        extract(settings, ["freshbooks"])
        after = sandbox_stats(url)
        seconds = step_seconds(settings, "extract")
    requests = after.get("requests", 0) - before.get("requests", 0)
    limited = after.get("rate_limited", 0) - before.get("rate_limited", 0)
    achieved = requests / seconds
    print(f"\n2. server limit {limit:g} req/s, client limit {limit:g} req/s, scale {scale:g}")
    print(f"   {requests} requests in {seconds:.1f} s of extract = {achieved:.2f} req/s "
          f"({achieved / limit:.0%} of the limit), {limited} answered 429")  # fmt: skip


def full_then_incremental(scale: float, share: float = 0.01) -> None:
    """A full load (steps, rows/s, peak memory), then an incremental run after changing
    `share` of the invoices: requests and seconds against the full run."""
    with sandbox_home(scale, ["freshbooks"]) as (home, info):
        url = info["urls"]["freshbooks"]
        settings = settings_for(home, freshbooks_rate_limit=UNTHROTTLED)
        before, started = served(url), time.perf_counter()
        [full] = extract(settings, ["freshbooks"])
        full_seconds, full_requests = time.perf_counter() - started, served(url) - before
        steps = {s: step_seconds(settings, s) for s in ("extract", "normalize", "load")}
        rss = peak_rss_mb()
        with FreshBooksClient.from_settings(settings) as client:
            invoices = [r["id"] for r in client.list_raw("invoices", search=Search(), include=())]
            changed = invoices[:: max(1, round(1 / share))]
            for invoice_id in changed:
                client.update("invoices", invoice_id, {"notes": "changed for the benchmark"})
        before, started = served(url), time.perf_counter()
        [incremental] = extract(settings, ["freshbooks"])
        inc_seconds, inc_requests = time.perf_counter() - started, served(url) - before
    rows = full.total_rows
    print(f"\n3. full load of {full.rows.get('invoices', 0)} invoices ({rows} rows in all tables)")
    for step, seconds in steps.items():
        print(f"   {step:<10} {seconds:>6.1f} s {rows / seconds:>10.0f} rows/s")
    print(f"   end to end {full_seconds:>6.1f} s {rows / full_seconds:>10.0f} rows/s")
    print(f"   peak RSS of the extracting process: {rss:.0f} MB")
    print(
        f"\n4. incremental after changing {len(changed)} of {len(invoices)} invoices ({share:.0%})"
    )
    for label, requests, seconds, loaded in (
        ("full", full_requests, full_seconds, rows),
        ("incremental", inc_requests, inc_seconds, incremental.total_rows),
    ):
        print(f"   {label:<12} {requests:>5} requests {seconds:>6.1f} s {loaded:>7} rows")
    print(
        f"   incremental = {inc_requests / full_requests:.1%} of the requests, "
        f"{inc_seconds / full_seconds:.1%} of the time"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--large-scale", type=float, default=500)
    parser.add_argument("--limit", type=float, default=5)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--only-large", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only_large:
        full_then_incremental(args.large_scale)
        return
    ours_vs_rest_api(args.scale)
    under_a_server_limit(max(1, args.scale / 20), args.limit)
    if not args.skip_large:
        # Its own process, so the peak memory it reports is the large load's alone.
        command = [sys.executable, __file__, "--only-large", "--large-scale", str(args.large_scale)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
