"""`ledgerlink extract`: load raw data from the APIs into the warehouse with dlt."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings, so_far, table
from ledgerlink.cli.progress import showing
from ledgerlink.warehouse import writer_lock
from pipelines.extract import SOURCES, ExtractResult, extract, sources_to_extract

# Exit codes: 0 everything loaded; 1 a source failed (the reason is printed); 3 partial: the
# account does not serve some entities, which were skipped while every other one loaded.
PARTIAL_EXIT_CODE = 3


@run_guarded
def extract_command(
    source: list[str] = typer.Option(None, "--source", "-s", help=f"One of {', '.join(SOURCES)}."),
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Drop and reload the selected sources (others keep state)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines, only the summary."),
) -> None:
    """Load the connected systems' data incrementally into the raw_* schemas.

    Without --source, every system this deployment connects (LEDGERLINK_SYSTEMS) is loaded,
    without the entities LEDGERLINK_DISABLED_ENTITIES turns off.

    Exit codes: 0 all loaded; 1 failed, with the reason; 3 partial: entities the account does
    not serve (HTTP 403/404/501) were skipped and are listed, the others loaded.
    """
    config = settings()
    names = sources_to_extract(config, source or None)
    results: list[ExtractResult] = []
    # one writer for every source
    with writer_lock(config, "extract", publish=False), showing(not quiet) as progress:
        for n, name in enumerate(names):
            loaded = [f"{r.source} ({r.total_rows} rows)" for r in results]
            so_far(
                f"loaded {', '.join(loaded)}" if loaded else "nothing loaded",
                f"not finished: {', '.join(names[n:])}; `ledgerlink extract` resumes from the "
                "last completed load",
            )
            results += extract(
                config, [name], full_refresh=full_refresh, progress=progress.extract()
            )
    rows = [(r.dataset, tbl, n) for r in results for tbl, n in sorted(r.rows.items())] or [
        ("-", "nothing new", 0)
    ]
    typer.echo(table(rows, ("dataset", "table", "rows loaded")))
    for r in results:
        typer.echo(f"{r.source}: {r.total_rows} rows in {r.seconds:.1f}s")
    typer.echo(f"warehouse: {config.warehouse}")
    skipped = [(r.source, entity, reason) for r in results for entity, reason in r.skipped.items()]
    if skipped:
        typer.echo("\nskipped (the account does not serve them; the next run asks again):")
        typer.echo(table(skipped, ("source", "entity", "reason")))
        names = sorted({*config.disabled_entities, *(f"{s}.{e}" for s, e, _ in skipped)})
        typer.echo(
            "next: grant the access the reason names, or, if the account never will serve "
            f"them, set LEDGERLINK_DISABLED_ENTITIES={','.join(names)}"
        )
        raise typer.Exit(code=PARTIAL_EXIT_CODE)
