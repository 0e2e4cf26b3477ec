"""`ledgerlink transform`: build the dbt project (models, tests, snapshots) on the warehouse."""

from __future__ import annotations

import json
import time
from collections import Counter

import typer

from ledgerlink.builds import record_clean_build, state_before_build
from ledgerlink.cli.common import run_guarded, settings, so_far
from ledgerlink.cli.progress import showing
from ledgerlink.dbt import WITHOUT_UNIT_TESTS, DbtFailed, DbtRun, prepare_warehouse, run_dbt
from ledgerlink.warehouse import writer_lock

# dbt's statuses in run_results.json, in the order the summary names them
BUILT, PASSED = "success", "pass"
FLAGGED = ("warn", "fail", "error", "skipped")


def summary(run: DbtRun, seconds: float) -> dict:
    """What a build did, for people and scripts: counts by dbt's status and one entry for each
    node that did not simply pass, with dbt's message."""
    # operations (on-run-start hooks) are dbt's own steps, not nodes of the project
    nodes = [r for r in run.results if not r["unique_id"].startswith("operation.")]
    counts = Counter(r.get("status") for r in nodes)
    flagged = [
        {
            "status": r.get("status"),
            "kind": r["unique_id"].split(".")[0],
            "name": r["unique_id"].split(".")[2],
            "message": (r.get("message") or "").strip(),
        }
        for r in nodes
        if r.get("status") in FLAGGED
    ]
    return {
        "ok": run.returncode == 0,
        "built": counts[BUILT],
        "passed": counts[PASSED],
        **{status: counts[status] for status in FLAGGED},
        "flagged": flagged,
        "seconds": round(seconds, 1),
        "log": str(run.log),
    }


def print_summary(report: dict) -> None:
    typer.echo(
        f"dbt build: {report['built']} built, {report['passed']} tests passed, "
        f"{report['warn']} warnings, {report['fail']} tests failed, {report['error']} errors, "
        f"{report['skipped']} skipped ({report['seconds']:.0f}s)"
    )
    for node in sorted(report["flagged"], key=lambda n: (FLAGGED.index(n["status"]), n["name"])):
        message = node["message"].splitlines()[0] if node["message"] else ""
        typer.echo(f"  {node['status']:<7} {node['name']}{f': {message}' if message else ''}")
    typer.echo(f"dbt's whole output: {report['log']}")


@run_guarded
def transform_command(
    select: list[str] = typer.Option(None, "--select", "-s", help="dbt selection (repeatable)."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild incremental models."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Stream dbt's own output."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines, only the summary."),
    as_json: bool = typer.Option(False, "--json", help="The summary as one JSON object."),
    unit_tests: bool = typer.Option(
        False, "--unit-tests", help="Run dbt's unit tests too (they check the SQL, not the data)."
    ),
) -> None:
    """Run `dbt build`: staging, intermediate, marts, sync models, their tests and snapshots.

    Prints progress on stderr, then a summary with a line for each warning, failure and skip;
    dbt's whole output is kept in <home>/logs/dbt.log. Exit 1 when a model or an error-severity
    test failed.
    """
    config = settings()
    so_far(left="the models dbt finished are kept; `ledgerlink transform` runs the build again")
    args = ["build", *([] if unit_tests else WITHOUT_UNIT_TESTS)]
    for selector in select or []:
        args += ["--select", selector]
    if full_refresh:
        args.append("--full-refresh")
    started = time.monotonic()
    with writer_lock(config, "transform"), showing(not (quiet or verbose or as_json)) as progress:
        prepare_warehouse(config)
        # A whole clean build lets the next sync build only what changes after it.
        before = None if select else state_before_build(config)
        run = run_dbt(
            config, *args, check=False, echo=verbose and not as_json, progress=progress.dbt()
        )
        if before is not None and run.returncode == 0:
            record_clean_build(config, before)
    report = summary(run, time.monotonic() - started)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        print_summary(report)
    if not report["ok"]:
        failed = [n["name"] for n in report["flagged"] if n["status"] in ("fail", "error")]
        if not failed:
            raise DbtFailed(f"dbt build did not run to its end: see {run.log}")
        raise DbtFailed(f"dbt build failed ({len(failed)} failed: {', '.join(failed[:5])})")
