"""`ledgerlink push` and `ledgerlink sync`: write the planned diffs to FreshBooks and Infor."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings, table
from ledgerlink.cli.transform import build_models
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from pipelines.extract import extract
from reverse_etl.ledger_schema import ensure_ops_schema
from reverse_etl.runner import Pusher, PushReport, select_syncs
from reverse_etl.targets import TargetWriters

MAX_SYNC_PASSES = 4  # a new shop order needs client -> invoice -> customer -> order


class PushFailed(LedgerlinkError):
    """Some records failed or became dead letters."""


def run_push(
    config: Settings, select: list[str] | None, dry_run: bool, command: str = "push"
) -> PushReport:
    syncs = select_syncs(select)
    with (
        writer_lock(config, command),
        connect(config, read_only=False) as con,
        TargetWriters(config) as writers,
    ):
        ensure_ops_schema(con)
        pusher = Pusher(con, writers)
        return pusher.plan(syncs) if dry_run else pusher.push(syncs, command)


def print_report(report: PushReport) -> None:
    if report.dry_run:
        rows = [
            (s.sync, s.counts["create"], s.counts["update"], s.counts["void"]) for s in report.syncs
        ]
        typer.echo(table(rows, ("sync", "create", "update", "void")))
        for s in report.syncs:
            for sample in s.samples:
                fields = ", ".join(
                    f"{k} -> {str(v)[:40]}" for k, v in list(sample["after"].items())[:8]
                )
                typer.echo(f"  {s.sync} {sample['operation']} {sample['natural_key']}: {fields}")
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
    report = run_push(settings(), select, dry_run)
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
        report = run_push(config, select, dry_run, command="sync")
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
