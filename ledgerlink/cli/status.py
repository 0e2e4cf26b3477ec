"""`ledgerlink status`: where things stand: the sandbox, the ledger, dead letters, the inbox."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import typer

from ledgerlink.cli.common import run_guarded, settings, table
from ledgerlink.settings import Settings
from ledgerlink.warehouse import NoSnapshot, read_snapshot
from ledgerlink.webhooks.inbox import Inbox
from reverse_etl.ledger import recent_runs, record_state_counts
from reverse_etl.states import HELD_FOR_REVIEW, LETTER_OPEN, SUCCEEDED
from sandbox import runner

RECENT_RUNS = 5


@run_guarded
def status_command() -> None:
    """Show the sandbox, the last pushes, records by outcome, open dead letters and the inbox."""
    config = settings()
    sandbox = runner.status(config.home)
    typer.echo(
        f"sandbox:   running (pid {sandbox['pid']})" if sandbox else "sandbox:   not running"
    )
    typer.echo(f"warehouse: {config.warehouse}")
    _ledger(config)
    if config.inbox_path.exists():
        with Inbox.from_settings(config) as inbox:
            typer.echo(
                f"\nwebhook inbox: {inbox.last_id()} events received, "
                f"{inbox.pending_count()} not yet run"
            )


def _ledger(config: Settings) -> None:
    """What the last writing command left, from the readers' snapshot (a sync running now
    neither waits for this nor is kept from starting)."""
    try:
        with read_snapshot(config) as (con, published_at):
            _show_ledger(con, published_at)
    except NoSnapshot:
        typer.echo("nothing written yet: run `ledgerlink sync` (or `make demo`)")


def _show_ledger(con: duckdb.DuckDBPyConnection, published_at: datetime) -> None:
    age = (datetime.now(UTC) - published_at).total_seconds()
    typer.echo(f"as of:     {published_at:%Y-%m-%d %H:%M:%S %Z} ({_age(age)} ago, the last write)")
    try:
        runs = recent_runs(con, RECENT_RUNS)
        records = record_state_counts(con)
        (open_letters,) = con.execute(
            "select count(*) from ops.dead_letters where status = ?", [LETTER_OPEN]
        ).fetchone()
    except duckdb.CatalogException:
        typer.echo("nothing pushed yet: run `ledgerlink sync`")
        return
    typer.echo("\nlast pushes:")
    columns = ("created", "updated", "failed", "dead_lettered", "dead_letter_open", "waiting")
    rows = [
        (r["run_id"], r["command"], r["status"], *(r.get(c) or 0 for c in columns)) for r in runs
    ]
    typer.echo(table(rows, ("run", "command", "status", *columns)) if rows else "  none")
    for run in runs:
        if run["status"] != SUCCEEDED and run.get("error"):
            typer.echo(f"  {run['run_id']} {run['status']}: {run['error']}")
    typer.echo("\nrecords by state (each record once, as its latest planned content stands):")
    typer.echo(table(records, ("target", "entity", "state", "records")) if records else "  none")
    typer.echo(
        f"\nopen dead letters: {open_letters}"
        + ("  (`ledgerlink dlq list`)" if open_letters else "")
    )
    held = sum(n for _, _, state, n in records if state == HELD_FOR_REVIEW)
    typer.echo(f"held for review: {held}" + ("  (`ledgerlink review list`)" if held else ""))


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
