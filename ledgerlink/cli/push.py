"""`ledgerlink push` and `ledgerlink sync`: write the planned diffs to FreshBooks and Infor."""

from __future__ import annotations

import sys
import time

import typer

from ledgerlink.cli.common import run_guarded, settings, table
from ledgerlink.cli.transform import build_models
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from pipelines.extract import extract
from reverse_etl.ledger_schema import ensure_ops_schema
from reverse_etl.runner import Progress, ProgressCallback, Pusher, PushReport, select_syncs
from reverse_etl.targets import TargetWriters

MAX_SYNC_PASSES = 4  # a new shop order needs client -> invoice -> customer -> order
PROGRESS_PERIOD_SECONDS = 2.0
SHOWN_FIELDS = 8


class PushFailed(LedgerlinkError):
    """Some records failed or became dead letters."""


def run_push(
    config: Settings,
    select: list[str] | None,
    dry_run: bool,
    command: str = "push",
    on_progress: ProgressCallback | None = None,
) -> PushReport:
    syncs = select_syncs(select)
    with (
        writer_lock(config, command),
        connect(config, read_only=False) as con,
        TargetWriters(config) as writers,
    ):
        ensure_ops_schema(con)
        pusher = Pusher(con, writers, on_progress)
        return pusher.plan(syncs) if dry_run else pusher.push(syncs, command)


class ProgressLines:
    """Progress on stderr: a line per sync every few seconds while it runs, and when it ends."""

    def __init__(self, period: float = PROGRESS_PERIOD_SECONDS) -> None:
        self.period = period
        self._last_shown = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        finished = progress.done == progress.total
        if not finished and now - self._last_shown < self.period:
            return
        self._last_shown = now
        counts = ", ".join(f"{k} {v}" for k, v in sorted(progress.counts.items()) if v)
        rate = progress.done / progress.seconds if progress.seconds > 0 else 0.0
        print(
            f"push {progress.sync}: {progress.done}/{progress.total} records "
            f"({counts}) {rate:.1f}/s",
            file=sys.stderr,
            flush=True,
        )


def _shown(value: object) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def print_report(report: PushReport) -> None:
    if report.dry_run:
        rows = [
            (s.sync, s.counts["create"], s.counts["update"], s.counts["void"]) for s in report.syncs
        ]
        typer.echo(table(rows, ("sync", "create", "update", "void")))
        for s in report.syncs:
            for sample in s.samples:
                typer.echo(f"  {s.sync} {sample['operation']} {sample['natural_key']}:")
                for name, (before, after) in list(sample["changes"].items())[:SHOWN_FIELDS]:
                    typer.echo(f"    {name}: {_shown(before)} -> {_shown(after)}")
        typer.echo("dry run: nothing was written")
        return
    statuses = ("created", "updated", "unchanged", "waiting", "failed", "dead_lettered")
    rows = [(s.sync, *(s.counts[k] for k in statuses)) for s in report.syncs]
    typer.echo(table(rows, ("sync", *statuses)))
    for s in report.syncs:
        for error in s.errors[:3]:
            typer.echo(f"  {s.sync}: {error}")


@run_guarded
def push_command(
    select: list[str] = typer.Option(
        None, "--select", "-s", help="Sync name or model (repeatable)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; write nothing."),
) -> None:
    """Push what the dbt sync models planned, in dependency order."""
    report = run_push(settings(), select, dry_run, on_progress=ProgressLines())
    print_report(report)
    _fail_on(report)


@run_guarded
def sync_command(
    select: list[str] = typer.Option(
        None, "--select", "-s", help="Sync name or model (repeatable)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Extract and plan; write nothing."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Reload every source first."),
) -> None:
    """Extract -> dbt build -> push, repeated while rows wait for records created in this run."""
    config = settings()
    report: PushReport | None = None
    for number in range(1, MAX_SYNC_PASSES + 1):
        typer.echo(f"-- pass {number}: extract, transform, push")
        extract(config, full_refresh=full_refresh and number == 1)
        build_models(config)
        report = run_push(config, select, dry_run, command="sync", on_progress=ProgressLines())
        print_report(report)
        if dry_run or report.total("waiting") == 0 or report.total("created") == 0:
            break
    assert report is not None
    _fail_on(report)


def _fail_on(report: PushReport) -> None:
    if not report.ok:
        failed, dead = report.total("failed"), report.total("dead_lettered")
        reasons = "; ".join(e for s in report.syncs for e in s.errors[:1])
        raise PushFailed(f"{failed} records failed and {dead} became dead letters: {reasons}")
