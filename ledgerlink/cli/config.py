"""`ledgerlink config`: what this deployment connects and loads, and which setting decided it."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings, table
from ledgerlink.dbt import seeds_dir
from pipelines.entities import ENTITIES, enabled_entities
from reverse_etl.runner import select_syncs


@run_guarded
def config_command() -> None:
    """Show the systems (on or off, and why), the entities each loads, the syncs that run, the
    Infor tenant's codes and where the mapping tables come from."""
    config = settings()
    choices = config.system_choices()
    rows = []
    for system, choice in choices.items():
        on = enabled_entities(config, system) if choice.enabled else ()
        off = [name for name in ENTITIES[system] if name not in on] if choice.enabled else []
        rows.append(
            (
                system,
                "on" if choice.enabled else "off",
                choice.reason,
                f"{len(on)} entities" + (f" ({', '.join(off)} off)" if off else ""),
            )
        )
    typer.echo(table(rows, ("system", "state", "because", "loads")))
    syncs = select_syncs(None, config.systems)
    typer.echo(f"\nsyncs: {', '.join(sync.name for sync in syncs)}")
    typer.echo(
        f"Infor: company {config.infor_cono}, division {config.infor_divi}, facility "
        f"{config.infor_facility}, warehouse {config.infor_warehouse}, local currency "
        f"{config.infor_local_currency} (`ledgerlink check` confirms them in Infor)"
    )
    start = config.infor_history_start
    typer.echo(f"first Infor load reads: {f'from {start}' if start else 'all of its history'}")
    typer.echo(f"mapping tables: {seeds_dir(config)}")
    typer.echo(f"warehouse: {config.warehouse}")
