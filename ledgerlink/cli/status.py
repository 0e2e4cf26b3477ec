"""`ledgerlink status`: where things stand: the sandbox, the ledger, dead letters, the inbox."""

from __future__ import annotations

import duckdb
import typer

from ledgerlink.cli.common import run_guarded, settings, table
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect
from ledgerlink.webhooks.inbox import Inbox
from reverse_etl.ledger import recent_runs, record_state_counts
from reverse_etl.states import LETTER_OPEN, SUCCEEDED
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
    if not config.warehouse.exists():
        typer.echo("no warehouse yet: run `ledgerlink sync` (or `make demo`)")
        return
    try:
        con = connect(config)
    except duckdb.IOException:
        typer.echo("the warehouse is busy (a sync is writing it): try again in a moment")
        return
    with con:
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
