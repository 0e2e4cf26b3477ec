"""`ledgerlink dbt <args>`: any dbt command on the warehouse, with ledgerlink's settings."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.dbt import BUILD_TARGET, run_dbt


@run_guarded
def dbt_command(ctx: typer.Context) -> None:
    """Run dbt (`ledgerlink dbt build --select fct_invoices+`, `ledgerlink dbt docs generate`)
    with the warehouse, the project variables the settings give, the deployment's mapping
    tables and the writer lock; artifacts go to dbt_project/target/build, never over the
    manifest the Dagster code location reads."""
    if not ctx.args:
        raise typer.BadParameter("name a dbt command, e.g. `ledgerlink dbt build --select marts`")
    run = run_dbt(settings(), *ctx.args, check=False, echo=True)
    typer.echo(f"artifacts: {BUILD_TARGET}", err=True)
    raise typer.Exit(code=run.returncode)
