"""`ledgerlink push` and `ledgerlink sync`: write the planned diffs to FreshBooks and Infor.

The dry run and the push print the same plan table (one column per planner decision); the push
adds what its writes did. Ctrl-C or SIGTERM stops a push within seconds: the records in flight
finish, the run is recorded as interrupted, and the command says what was done.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import typer

from ledgerlink.builds import build_changed
from ledgerlink.cli.common import INTERRUPTED_EXIT_CODE, run_guarded, settings, table
from ledgerlink.cli.progress import CliProgress, showing
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from ledgerlink.warehouse import writer_lock
from pipelines.extract import ExtractResult, extract
from reverse_etl.planner import PLAN_COLUMNS
from reverse_etl.push import run_push
from reverse_etl.runner import (
    OUTCOME_COLUMNS,
    ProgressCallback,
    PushInterrupted,
    PushReport,
    SyncReport,
    select_syncs,
)

MAX_SYNC_PASSES = 4  # a new shop order needs client -> invoice -> customer -> order
SHOWN_FIELDS = 8
# Counts that describe where records stand after a pass, not what the pass did: a `sync` shows
# them as its last pass left them, and adds up the others.
STANDING = (
    "dead_letter_open",
    "discarded",
    "waiting",
    "not_allowed",
    "failed",
    "held_for_review",
    "rejected",
)


class PushFailed(LedgerlinkError):
    """Some records failed or became dead letters."""


def combined(reports: list[PushReport]) -> PushReport:
    """The passes of one `sync` as one report: what they did added up, where records stand
    (`STANDING`) and the errors as the last pass left them."""
    by_sync: dict[str, SyncReport] = {}
    for report in reports:
        for sync in report.syncs:
            total = by_sync.setdefault(sync.sync, SyncReport(sync.sync))
            total.counts.update(sync.counts)
            total.errors = sync.errors
            total.samples = total.samples or sync.samples
            total.dead_letters_open = sync.dead_letters_open
            total.holds += sync.holds
            total.seconds += sync.seconds
    last = {s.sync: s for s in reports[-1].syncs}
    for name, total in by_sync.items():
        for column in STANDING:
            total.counts[column] = last[name].counts[column] if name in last else 0
    last_report = reports[-1]
    return PushReport(
        last_report.run_id,
        list(by_sync.values()),
        last_report.dry_run,
        last_report.held,
        last_report.dbt_failures,
    )


def _shown(value: object) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def plan_table(report: PushReport) -> str:
    """The planner's decisions per sync: the same columns for a dry run and a push."""
    rows = [(s.sync, *(s.counts[c] for c in PLAN_COLUMNS)) for s in report.syncs]
    return table(rows, ("sync", *PLAN_COLUMNS))


def outcome_table(report: PushReport) -> str:
    """What a push's writes did, per sync."""
    rows = [(s.sync, *(s.counts[c] for c in OUTCOME_COLUMNS)) for s in report.syncs]
    return table(rows, ("sync", *OUTCOME_COLUMNS))


def report_json(report: PushReport) -> str:
    """The report for scripts: per sync the plan's and the writes' counts and the first errors,
    then what was held and which dbt nodes failed."""
    syncs = [
        {
            "sync": s.sync,
            **{column: s.counts[column] for column in (*PLAN_COLUMNS, *OUTCOME_COLUMNS)},
            "dead_letters_open": s.dead_letters_open,
            "holds": s.holds[:20],
            "errors": s.errors[:3],
            "seconds": round(s.seconds, 2),
            **({"samples": s.samples} if report.dry_run else {}),
        }
        for s in report.syncs
    ]
    summary = {
        "run_id": report.run_id,
        "dry_run": report.dry_run,
        "ok": report.ok,
        "syncs": syncs,
        "held": report.held,
        "dbt_failures": report.dbt_failures,
    }
    return json.dumps(summary, indent=2, default=str)


def print_report(report: PushReport) -> None:
    if report.dbt_failures:
        typer.echo(
            f"dbt: {len(report.dbt_failures)} failed ({', '.join(report.dbt_failures[:5])}); "
            "`ledgerlink transform` shows each"
        )
    for sync, reason in report.held.items():
        typer.echo(f"held {sync}: {reason}")
    typer.echo("plan (create, update and void are written; the other columns are skipped):")
    typer.echo(plan_table(report))
    if report.dry_run:
        for s in report.syncs:
            for sample in s.samples:
                typer.echo(f"  {s.sync} {sample['operation']} {sample['natural_key']}:")
                for name, (before, after) in list(sample["changes"].items())[:SHOWN_FIELDS]:
                    typer.echo(f"    {name}: {_shown(before)} -> {_shown(after)}")
        print_holds(report)
        typer.echo("dry run: nothing was written")
        return
    typer.echo("\nwritten:")
    typer.echo(outcome_table(report))
    for s in report.syncs:
        for error in s.errors[:3]:
            typer.echo(f"  {s.sync}: {error}")
    print_holds(report)
    if report.total("dead_letter_open"):
        typer.echo(
            f"{report.total('dead_letter_open')} records are held by open dead letters: "
            "`ledgerlink dlq list`, then replay or discard them"
        )


def print_holds(report: PushReport) -> None:
    """The rows the gate held in this run, with why, and what to do about them."""
    for s in report.syncs:
        for line in s.holds[:5]:
            typer.echo(f"  held {s.sync} {line}")
    if report.total("held_for_review"):
        typer.echo(
            f"{report.total('held_for_review')} records are held for review: "
            "`ledgerlink review list`, then approve or reject them"
        )


def report_interrupt(exc: PushInterrupted, command: str) -> typer.Exit:
    """Say what an interrupted push did; the exit to raise."""
    report = exc.report
    done = ", ".join(
        f"{report.total(c)} {c}" for c in ("created", "updated", "unchanged", "failed")
    )
    typer.secho(
        f"interrupted: run {report.run_id} recorded as interrupted after {done}; "
        f"run `ledgerlink {command}` again to finish (written records are not written twice)",
        fg=typer.colors.YELLOW,
        err=True,
    )
    return typer.Exit(code=INTERRUPTED_EXIT_CODE)


@run_guarded
def push_command(
    select: list[str] = typer.Option(
        None, "--select", "-s", help="Sync name or model (repeatable)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; write nothing."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines, only the report."),
    as_json: bool = typer.Option(False, "--json", help="The report as one JSON object."),
) -> None:
    """Push what the dbt sync models planned, in dependency order."""
    try:
        with showing(not (quiet or as_json)) as progress:
            report = run_push(settings(), select, dry_run, on_progress=progress.push())
    except PushInterrupted as exc:
        raise report_interrupt(exc, "push") from None
    show_report(report, as_json)
    _fail_on(report)


def show_report(report: PushReport, as_json: bool) -> None:
    if as_json:
        typer.echo(report_json(report))
    else:
        print_report(report)


PassCallback = Callable[[int, list[ExtractResult], PushReport], None]


def run_sync(
    config: Settings,
    select: list[str] | None = None,
    *,
    dry_run: bool = False,
    full_refresh: bool = False,
    before_first_push: Callable[[], object] | None = None,
    on_pass: PassCallback | None = None,
    on_progress: ProgressCallback | None = None,
    progress: CliProgress | None = None,
) -> PushReport:
    """Extract -> dbt build -> push, again while a pass writes something: what one pass wrote
    can make more ready (a shop order's new FreshBooks invoice becomes an Infor order in the
    next pass). At most `MAX_SYNC_PASSES`; returns the passes' combined report.

    Each pass builds only what is built from the tables whose data changed since the last clean
    build (`ledgerlink.builds`): what its extract loaded and what the pushes wrote to the ledger;
    everything after a change to the project, its mapping tables or settings, and once a day.
    What a pass held (a failing test, a model dbt could not build) stays held, and its failures
    reported, for the rest of the sync."""
    reports: list[PushReport] = []
    held: dict[str, str] = {}
    dbt_failures: list[str] = []
    with writer_lock(config, "sync"):  # one writer from the first extract to the last push
        for number in range(1, MAX_SYNC_PASSES + 1):
            results = extract(
                config,
                full_refresh=full_refresh and number == 1,
                progress=progress.extract() if progress else None,
            )
            # A failing test holds exactly the pushes whose sync models it kept from building;
            # one on a mart no push reads is reported, and the pushes go on.
            built = build_changed(config, progress=progress.dbt() if progress else None)
            syncs = select_syncs(select, config.systems)
            unbuilt = built.not_built([sync.model for sync in syncs]) if built else {}
            held |= {sync.name: unbuilt[sync.model] for sync in syncs if sync.model in unbuilt}
            for failure in built.failures() if built else []:
                if (name := failure["unique_id"].split(".")[2]) not in dbt_failures:
                    dbt_failures.append(name)
            if before_first_push and number == 1:
                before_first_push()
            report = run_push(
                config,
                select,
                dry_run,
                command="sync",
                on_progress=on_progress,
                held=dict(held),
            )
            report.dbt_failures = list(dbt_failures)
            reports.append(report)
            if on_pass:
                on_pass(number, results, report)
            if dry_run or report.total("created") + report.total("updated") == 0:
                break
    return combined(reports)


def show_pass(number: int, results: list[ExtractResult], report: PushReport) -> None:
    loaded = sum(r.total_rows for r in results)
    typer.echo(
        f"  pass {number}: {loaded} rows loaded; {report.total('created')} created, "
        f"{report.total('updated')} updated, {report.total('waiting')} waiting, "
        f"{report.total('failed')} failed"
    )
    for result in results:
        for entity, reason in result.skipped.items():
            typer.echo(f"    skipped {result.source}.{entity}: {reason}")


@run_guarded
def sync_command(
    select: list[str] = typer.Option(
        None, "--select", "-s", help="Sync name or model (repeatable)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Extract and plan; write nothing."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Reload every source first."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines, only the report."),
    as_json: bool = typer.Option(False, "--json", help="The report as one JSON object."),
) -> None:
    """Extract -> dbt build -> push, repeated while a pass makes more records ready (bounded)."""
    shown = not (quiet or as_json)
    try:
        with showing(shown) as progress:
            report = run_sync(
                settings(),
                select,
                dry_run=dry_run,
                full_refresh=full_refresh,
                on_pass=show_pass if shown else None,
                on_progress=progress.push(),
                progress=progress,
            )
    except PushInterrupted as exc:
        raise report_interrupt(exc, "sync") from None
    show_report(report, as_json)
    _fail_on(report)


def _fail_on(report: PushReport) -> None:
    """Exit 1 with every reason the run is not green, in one line."""
    if report.ok:
        return
    problems = []
    failed, dead = report.total("failed"), report.total("dead_lettered")
    if failed or dead:
        reasons = "; ".join(e for s in report.syncs for e in s.errors[:1])
        problems.append(f"{failed} records failed and {dead} became dead letters: {reasons}")
    if report.held:
        problems.append(f"{', '.join(report.held)} held (see above)")
    if report.dbt_failures:
        problems.append(
            f"dbt: {', '.join(report.dbt_failures[:5])} failed (the pushes they do not guard "
            "went on); `ledgerlink transform` shows each"
        )
    raise PushFailed("; ".join(problems))
