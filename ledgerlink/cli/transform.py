"""`ledgerlink transform`: build the dbt project (models, tests, snapshots) on the warehouse."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings, so_far
from ledgerlink.dbt import prepare_warehouse, run_dbt
from ledgerlink.warehouse import writer_lock


@run_guarded
def transform_command(
    select: list[str] = typer.Option(None, "--select", "-s", help="dbt selection (repeatable)."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild incremental models."),
) -> None:
    """Run `dbt build`: staging, intermediate, marts, sync models, their tests and snapshots."""
    config = settings()
    so_far(left="the models dbt finished are kept; `ledgerlink transform` runs the build again")
    args = ["build"]
    for selector in select or []:
        args += ["--select", selector]
    if full_refresh:
        args.append("--full-refresh")
    with writer_lock(config, "transform"):
        prepare_warehouse(config)
        run = run_dbt(config, *args)
    passed = sum(1 for r in run.results if r.get("status") in ("success", "pass"))
    warned = [r["unique_id"].split(".")[2] for r in run.results if r.get("status") == "warn"]
    typer.echo(f"dbt build: {passed} passed, {len(warned)} warnings")
    for name in warned:
        typer.echo(f"  warn: {name}")
