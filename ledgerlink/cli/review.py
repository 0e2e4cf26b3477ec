"""`ledgerlink review list|show|approve|reject`: the records the pre-posting gate held.

A sync that declares `hold:` (reverse_etl/syncs.yml) has its unusual rows held instead of
written, with the reasons. Approve and reject are moves of the record's state machine; an
approved record is written by the next push (or at once with `--push`), exactly once. Ids are
given as a prefix of at least a few characters.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from ledgerlink.cli.common import run_guarded, settings, table
from reverse_etl import review, states

app = typer.Typer(help="Records held for review before posting.", no_args_is_help=True)

STATUS_HELP = f"Show records in this state: {', '.join(review.REVIEW_STATES)} or {review.ALL}."


def _as_json(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)


@app.command("list")
@run_guarded
def list_command(
    status: str = typer.Option(states.HELD_FOR_REVIEW, "--status", help=STATUS_HELP),
    all_: bool = typer.Option(False, "--all", help="Every state (same as --status all)."),
    as_json: bool = typer.Option(False, "--json", help="The records as JSON."),
) -> None:
    """Held records in one state (waiting for review by default), oldest first, with why."""
    records = review.held_records(settings(), review.ALL if all_ else status)
    if as_json:
        typer.echo(_as_json(records))
        return
    rows = [
        (
            r["intent_key"][:12],
            r["entity"],
            r["natural_key"],
            r["status"],
            "; ".join(r["reasons"])[:90],
        )
        for r in records
    ]
    typer.echo(
        table(rows, ("id", "entity", "key", "status", "why")) if rows else "nothing held for review"
    )
    typer.echo(
        "`ledgerlink review show ID` for the reasons and payload; approve ID [--push] or "
        "reject ID --reason TEXT"
    )


@app.command()
@run_guarded
def show(
    record_id: str,
    as_json: bool = typer.Option(False, "--json", help="The record as JSON."),
) -> None:
    """One held record: why it is held, its payload, and what reviewers did."""
    record = review.held_record(settings(), record_id)
    if as_json:
        typer.echo(_as_json(record))
        return
    payload = json.loads(record.pop("payload"))
    reasons = record.pop("reasons")
    actions = record.pop("actions")
    for key, value in record.items():
        typer.echo(f"{key:<14} {value}")
    typer.echo("why held")
    for reason in reasons:
        typer.echo(f"  - {reason}")
    for action in actions:
        typer.echo(f"{action['acted_at']:%Y-%m-%d %H:%M} {action['actor']}: {action['action']}")
    typer.echo("payload")
    typer.echo(_as_json(payload))


@app.command()
@run_guarded
def approve(
    record_ids: list[str] = typer.Argument(..., help="Ids (or prefixes) of held records."),
    push: bool = typer.Option(False, "--push", help="Push their syncs now."),
    note: str = typer.Option("", "--note", help="Why it is fine (kept with the approval)."),
    by: str = typer.Option("command line", "--by", help="Who approves (kept with it)."),
    as_json: bool = typer.Option(False, "--json", help="The result as JSON."),
) -> None:
    """Approve held records: the next push (or this one, with --push) writes each once."""
    result = review.approve(settings(), record_ids, by, note=note.strip() or None, push=push)
    _print_result(result, as_json)


@app.command()
@run_guarded
def reject(
    record_ids: list[str] = typer.Argument(..., help="Ids (or prefixes) of held records."),
    reason: str = typer.Option(..., "--reason", help="Why it must not be posted (kept)."),
    by: str = typer.Option("command line", "--by", help="Who rejects (kept with it)."),
    as_json: bool = typer.Option(False, "--json", help="The result as JSON."),
) -> None:
    """Reject held records: their content is never written (new content is scored afresh)."""
    _print_result(review.reject(settings(), record_ids, reason, by), as_json)


def _print_result(result: review.ActionResult, as_json: bool) -> None:
    if as_json:
        report = result.report
        typer.echo(
            _as_json(
                {
                    "message": result.message,
                    "run_id": report.run_id if report else None,
                    "ok": report.ok if report else True,
                }
            )
        )
        return
    typer.echo(result.message)
