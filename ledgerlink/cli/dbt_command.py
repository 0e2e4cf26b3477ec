"""`ledgerlink dbt <args>`: any dbt command on the warehouse, with ledgerlink's settings."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.dbt import build_target, run_dbt


@run_guarded
def dbt_command(ctx: typer.Context) -> None:
    """Run dbt (`ledgerlink dbt build --select fct_invoices+`, `ledgerlink dbt docs generate`)
    with the warehouse, the project variables the settings give, the deployment's mapping
    tables and the writer lock; artifacts go to <home>/dbt/target, never over the manifest
    the Dagster code location reads."""
    if not ctx.args:
        raise typer.BadParameter("name a dbt command, e.g. `ledgerlink dbt build --select marts`")
    config = settings()
    run = run_dbt(config, *ctx.args, check=False, echo=True)
    typer.echo(f"artifacts: {build_target(config)}", err=True)
    raise typer.Exit(code=run.returncode)
