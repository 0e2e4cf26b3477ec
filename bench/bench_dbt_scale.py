"""`dbt build` of the whole project at scale: wall time, peak memory, and a second build.

Usage: `.venv/bin/python bench/bench_dbt_scale.py [--invoices 100000]`

Starts a sandbox whose world holds `--invoices` FreshBooks invoices (scale = invoices / 200; the
other entities grow with it), loads every source with the real pipelines (unthrottled), then
times a full `dbt build` (models, seeds, snapshots and their tests) and a second build on the
same data, and prints the raw rows, the nodes, the wall time and dbt's peak RSS beside the goals
(60 s and 2 GB at 1,000,000 invoices).
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import Counter

import duckdb
from common import sandbox_home

from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.dbt import build_models
from ledgerlink.settings import load_settings
from pipelines.extract import extract

INVOICES_AT_SCALE_1 = 200
GOAL_SECONDS, GOAL_RSS_MB = 60, 2048


def raw_rows(warehouse: str) -> dict[str, int]:
    """Rows per raw schema (dlt's own tables and staging copies left out)."""
    with duckdb.connect(warehouse, read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw_%' and table_name not like '_dlt%' "
            "and not ends_with(table_schema, '_staging')"  # dlt's merge staging copies
        ).fetchall()
        counts: Counter[str] = Counter()
        for schema, table in tables:
            counts[schema] += con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
    return dict(counts)


def children_peak_rss_mb() -> float:
    """The largest peak RSS of the child processes waited for so far (dbt runs as one)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def timed_build(settings, label: str) -> float:
    started = time.perf_counter()
    run = build_models(settings, check=False)
    seconds = time.perf_counter() - started
    statuses = Counter(r.get("status") for r in run.results)
    print(
        f"{label}: {seconds:.1f} s wall, {len(run.results)} nodes "
        f"({', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))}), "
        f"dbt peak RSS {children_peak_rss_mb():.0f} MB so far, exit {run.returncode}"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    args = parser.parse_args()
    scale = args.invoices / INVOICES_AT_SCALE_1
    with sandbox_home(scale, ["freshbooks", "infor", "shop"]) as (home, _):
        settings = load_settings(
            ledgerlink_home=home,
            freshbooks_rate_limit=10_000,
            infor_rate_limit=10_000,
            shop_rate_limit=10_000,
        )
        authorize_headless(settings, FreshBooksTokenManager(settings))
        started = time.perf_counter()
        extract(settings)
        print(f"world: scale {scale:g} ({args.invoices:,} invoices)")
        print(f"extract: {time.perf_counter() - started:.1f} s")
        rows = raw_rows(str(settings.warehouse))
        per_schema = ", ".join(f"{schema} {n:,}" for schema, n in rows.items())
        print(f"raw rows: {sum(rows.values()):,} ({per_schema})")
        full = timed_build(settings, "dbt build (whole project)")
        again = timed_build(settings, "dbt build again (same data)")
        print(
            f"goal at 1,000,000 invoices: {GOAL_SECONDS} s and {GOAL_RSS_MB} MB; "
            f"here {full:.1f} s / {again:.1f} s and {children_peak_rss_mb():.0f} MB"
        )


if __name__ == "__main__":
    main()
