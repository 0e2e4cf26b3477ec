"""`ledgerlink extract`: load raw data from the APIs into the warehouse with dlt."""

from __future__ import annotations

import sys

import typer
from dlt.common.runtime.collector import LogCollector

from ledgerlink.cli.common import run_guarded, settings, table
from pipelines.extract import SOURCES, extract


@run_guarded
def extract_command(
    source: list[str] = typer.Option(None, "--source", "-s", help=f"One of {', '.join(SOURCES)}."),
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Drop and reload the selected sources (others keep state)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines, only the summary."),
) -> None:
    """Load FreshBooks, Infor M3 and shop data incrementally into the raw_* schemas."""
    config = settings()
    progress = (
        None if quiet else LogCollector(log_period=2, logger=sys.stderr, dump_system_stats=False)
    )
    results = extract(config, source or None, full_refresh=full_refresh, progress=progress)
    rows = [(r.dataset, tbl, n) for r in results for tbl, n in sorted(r.rows.items())] or [
        ("-", "nothing new", 0)
    ]
    typer.echo(table(rows, ("dataset", "table", "rows loaded")))
    for r in results:
        typer.echo(f"{r.source}: {r.total_rows} rows in {r.seconds:.1f}s")
    typer.echo(f"warehouse: {config.warehouse}")
