"""`ledgerlink demo`: the sandbox, then both sync stories run through Dagster, then what a
finance person wants to know, each part with the command that shows more."""

from __future__ import annotations

import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ledgerlink.cli.common import run_guarded, settings, table
from ledgerlink.cli.progress import showing
from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.console import announce
from ledgerlink.errors import LedgerlinkError
from ledgerlink.log import configure_logging
from ledgerlink.settings import load_settings
from sandbox import runner

if TYPE_CHECKING:
    from orchestration.finance_summary import Disagreements, FinanceSummary
    from orchestration.in_process import RunOutcome

# The sandbox answers as fast as it can: the demo need not keep to the real APIs' limits (each
# sync keeps its own pace, `rate` in reverse_etl/syncs.yml).
FAST = {"freshbooks_rate_limit": "500", "infor_rate_limit": "500", "shop_rate_limit": "500"}
# Runs print as they end, in fixed columns: the run, what it materialized, its checks and those
# that did not pass, the rows dlt loaded, and what its pushes did.
RUN_COLUMNS = ("run", "assets", "checks", "flagged", "rows", "created", "updated", "failed", "took")
RUN_WIDTHS = (6, 6, 6, 7, 6, 7, 7, 6, 5)


def demo(
    seed: int = typer.Option(42, help="Seed of the sandbox data."),
    # A quarter of the default world keeps both stories whole and the demo within minutes: at
    # scale 1 the pushes alone take over a minute at the syncs' own pace.
    scale: float = typer.Option(0.25, help="Sandbox data size (1 = 200 invoices)."),
    console: bool = typer.Option(
        True, "--console/--no-console", help="Start the operator console at the end."
    ),
) -> None:
    """Start the sandbox and run both sync stories through Dagster: order to cash and expenses."""
    started = time.perf_counter()
    home = settings().home
    _progress("starting the sandbox ...")
    try:
        info = runner.start(home, seed=seed, scale=scale)
    except runner.SandboxError as exc:
        raise LedgerlinkError(str(exc)) from exc
    typer.echo(
        f"sandbox  scale {info['scale']:g} ({round(200 * info['scale'])} invoices)  "
        + "  ".join(f"{name} {url}" for name, url in info["urls"].items())
    )
    config = load_settings(**FAST)  # now with the sandbox's settings
    # Each run's own logs are in the Dagster instance; the demo prints its summary.
    configure_logging("warning", config.log_format)
    manager = FreshBooksTokenManager(config)
    if manager.store.load() is None:
        authorize_headless(config, manager)  # the sandbox approves by itself

    _progress("loading the Dagster definitions ...")
    # Dagster, dbt and dlt take seconds to import: only this command pays for them.
    from orchestration.demo_runs import DeadLetter, Planted, Ran, Shipped, Summarized, demo_steps
    from orchestration.in_process import InProcessRuns, project_instance

    with project_instance(home) as instance, showing() as progress:
        runs = InProcessRuns(config, instance, FAST, trigger="demo", on_progress=progress.runs())
        typer.echo(f"Dagster  instance {_shown(home / 'dagster')}, runs in this process\n")
        typer.echo(_run_row(RUN_COLUMNS) + "\n" + _run_row(tuple("-" * w for w in RUN_WIDTHS)))
        first = True
        for step in demo_steps(config, runs, info["urls"]["infor"]):
            match step:
                case Ran(outcome):
                    progress.run_ended(outcome.label)
                    typer.echo(_run_row(_run_cells(outcome)))
                    if first:
                        typer.echo(f"  read through the connectors: {_loaded(outcome)}")
                        first = False
                case Planted(journal) if journal:
                    typer.echo(f"  planted: Infor refuses GL journal {journal} (a blocked account)")
                case Shipped(orders):
                    typer.echo(
                        f"  Infor ships and invoices {len(orders)} orders (sandbox controls)"
                    )
                case DeadLetter(journal, None):
                    typer.echo(f"  the refusal of journal {journal} did not become a dead letter")
                case Summarized(summary):
                    _show_summary(summary, config.warehouse)

    if console:
        typer.echo("\n" + announce(config))
    typer.echo(
        "\nnext, after `source .venv/bin/activate` (ledgerlink, dbt and dagster on PATH):\n"
        f"  make dev                  # the Dagster UI on {config.dagster_ui_url}: this instance,"
        " every asset with its checks, each run and its metadata\n"
        "  ledgerlink status         # last pushes, outcomes, dead letters\n"
        "  ledgerlink sandbox down   # stop the sandbox"
    )
    seconds = round(time.perf_counter() - started)
    typer.echo(f"\ndemo took {seconds // 60}m{seconds % 60:02d}s")


demo_command = run_guarded(
    demo,
    interrupted="the sandbox may still run: `ledgerlink sandbox down` stops it; "
    "`ledgerlink sync` finishes what the demo started",
)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _run_row(cells: tuple[str, ...]) -> str:
    return "  ".join(
        cell.ljust(width) if n == 0 else cell.rjust(width)
        for n, (cell, width) in enumerate(zip(cells, RUN_WIDTHS, strict=True))
    )


def _run_cells(outcome: RunOutcome) -> tuple[str, ...]:
    flagged = sum(1 for check in outcome.checks if not check.passed)
    pushed = [
        str(outcome.total(status)) if outcome.pushed else "-"
        for status in ("created", "updated", "failed")
    ]
    if outcome.pushed:
        pushed[2] = str(outcome.total("failed") + outcome.total("dead_lettered"))
    rows = sum(outcome.rows_loaded.values())
    return (
        outcome.label,
        str(len(outcome.materialized)),
        str(len(outcome.checks)),
        str(flagged),
        str(rows) if outcome.rows_loaded else "-",
        *pushed,
        f"{outcome.seconds:.0f}s",
    )


def _loaded(outcome: RunOutcome) -> str:
    """`freshbooks 523 rows (8 tables), infor 612 rows (11 tables)`"""
    per_source: dict[str, list[int]] = {}
    for key, rows in outcome.rows_loaded.items():
        per_source.setdefault(key.path[0].removeprefix("raw_"), []).append(rows)
    loaded = [f"{source} {sum(n)} rows ({len(n)} tables)" for source, n in per_source.items()]
    return ", ".join(loaded) or "nothing new since the last run"


def _by_how_much(found: Disagreements) -> str:
    """`invoiced by USD 1,234.50, CAD 80.00; paid by USD 12.00`"""
    return "; ".join(
        f"{what} by "
        + ", ".join(f"{currency} {amount:,.2f}" for currency, amount in sorted(totals.items()))
        for what, totals in found.totals.items()
    )


def _indented(text: str) -> None:
    for line in text.splitlines():
        typer.echo("  " + line)


def _cell(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    return str(value)


def _aligned(rows: list[tuple], headers: tuple[str, ...]) -> str:
    """`table` with amounts as `1,234.50`, right-aligned, and months as `2025-07`."""
    cells = [[_cell(value) for value in row] for row in rows]
    for n, header in enumerate(headers):
        if rows and isinstance(rows[0][n], Decimal):
            width = max(len(header), *(len(row[n]) for row in cells))
            for row in cells:
                row[n] = row[n].rjust(width)
    return table([tuple(row) for row in cells], headers)


def _show_disagreements(
    title: str, found: Disagreements, what: str, headers: tuple[str, ...], warehouse: Path
) -> None:
    if not found.rows:
        typer.echo(f"\n{title}: FreshBooks and Infor agree")
        return
    typer.echo(
        f"\n{title}: {found.rows} {what} of {found.customers} customers disagree, "
        f"{_by_how_much(found)} in total; the largest:"
    )
    _indented(_aligned(found.largest, headers))
    typer.echo(f"  more: {_sql_command(warehouse, found.query)}")


def _show_summary(summary: FinanceSummary, warehouse: Path) -> None:
    """Each part ends with a command that shows more: shell lines, runnable as printed."""
    typer.echo(
        f"\norder to cash: {summary.invoices_in_infor} FreshBooks invoices are Infor orders, "
        f"{summary.shipped} shipped, {summary.paid_in_infor} paid and reconciled in Infor AR\n"
        f"expenses:      {summary.journals} FreshBooks expenses are balanced Infor GL journals"
    )
    _show_disagreements(
        "reconciliation (marts.reconciliation)",
        summary.reconciliation,
        "customer-months",
        ("customer", "month", "currency", "invoiced diff", "paid diff"),
        warehouse,
    )
    _show_disagreements(
        "open AR (marts.ar_aging)",
        summary.ar_aging,
        "balances",
        ("customer", "currency", "FreshBooks open", "Infor open", "difference"),
        warehouse,
    )

    typer.echo(f"\nanomalies that dbt's warn tests found: {len(summary.anomalies)} tests")
    if summary.anomalies:
        rows = [(a.records, a.check, a.model) for a in summary.anomalies]
        _indented(table(rows, ("records", "test", "model")))
        typer.echo(
            f"  more: ledgerlink dbt show --select {summary.anomalies[0].check} --limit 20"
            "  # the records, for any test above"
        )

    typer.echo(f"\ndead letters: {len(summary.dead_letters)} open")
    for letter_id, entity, key, reason in summary.dead_letters:
        typer.echo(f"  {letter_id}  {entity} {key}: {reason}")
    if summary.dead_letters:
        first = summary.dead_letters[0][0]
        typer.echo(
            f"  more: ledgerlink dlq list; ledgerlink dlq show {first}\n"
            f"  then: ledgerlink dlq replay {first} && ledgerlink push"
            "  # once the cause is fixed (the sandbox has lifted it): written once"
        )

    held = sum(count for _, count in summary.held)
    typer.echo(f"\nheld back with a reason (sync.sync_rejects): {held} records")
    _indented(table([(count, reason) for reason, count in summary.held], ("records", "reason")))
    typer.echo(f"  more: {_sql_command(warehouse, summary.held_query)}")


def _sql_command(warehouse: Path, sql: str) -> str:
    """A shell command that prints what `sql` returns, without taking the writer's lock."""
    return (
        f"python -c \"import duckdb; print(duckdb.connect('{_shown(warehouse)}', read_only=True)"
        f".sql('{sql}'))\""
    )


def _shown(path: Path) -> Path:
    """Relative to the working directory when under it: shorter to read and to type."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path
