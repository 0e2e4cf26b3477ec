"""`ledgerlink transform`: build the dbt project (models, tests, snapshots) on the warehouse."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.dbt import DbtRun, run_dbt
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from reverse_etl.ledger_schema import ensure_ops_schema


def build_models(
    config: Settings, *selectors: str, full_refresh: bool = False, with_tests: bool = True
) -> DbtRun:
    """Create the ops ledger tables if missing, then `dbt build` (failing on errors); without
    tests, for loops that only need seeds, models and snapshots refreshed."""
    with writer_lock(config, "transform (ops schema)"), connect(config, read_only=False) as con:
        ensure_ops_schema(con)
    args = ["build"]
    if not with_tests:
        args += ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    for selector in selectors:
        args += ["--select", selector]
    if full_refresh:
        args.append("--full-refresh")
    return run_dbt(config, *args, quiet=True)


@run_guarded
def transform_command(
    select: list[str] = typer.Option(None, "--select", "-s", help="dbt selection (repeatable)."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild incremental models."),
) -> None:
    """Run `dbt build`: staging, intermediate, marts, sync models, their tests and snapshots."""
    config = settings()
    args = ["build"]
    for selector in select or []:
        args += ["--select", selector]
    if full_refresh:
        args.append("--full-refresh")
    with writer_lock(config, "transform"):
        with connect(config, read_only=False) as con:
            ensure_ops_schema(con)
        run = run_dbt(config, *args)
    passed = sum(1 for r in run.results if r.get("status") in ("success", "pass"))
    warned = [r["unique_id"].split(".")[2] for r in run.results if r.get("status") == "warn"]
    typer.echo(f"dbt build: {passed} passed, {len(warned)} warnings")
    for name in warned:
        typer.echo(f"  warn: {name}")
