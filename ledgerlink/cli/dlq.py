"""`ledgerlink dlq list|show|replay|discard`: the dead letters operators fix and replay.

Replay and discard are moves of the record's state machine (`reverse_etl/states.py`): the
ledger refuses one that does not apply (a letter replayed already, a record written already)
with a one-line reason. Ids are given as a prefix of at least a few characters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import typer

from ledgerlink.cli.common import run_guarded, settings, table
from ledgerlink.errors import LedgerlinkError
from ledgerlink.warehouse import connect, read_snapshot, writer_lock
from reverse_etl.ledger import Ledger
from reverse_etl.states import DEAD_LETTER, LETTER_OPEN

app = typer.Typer(help="Dead letters: writes that need a person.", no_args_is_help=True)

T = TypeVar("T")
ALL = "all"
STATUS_HELP = f"Show letters in this state: {', '.join(DEAD_LETTER.names)} or {ALL}."


def _ledger_call(purpose: str, action: Callable[[Ledger], T]) -> T:
    """Replay and discard change the ledger: they take the writer lock like any writer."""
    config = settings()
    with writer_lock(config, purpose), connect(config, read_only=False) as con:
        return action(Ledger(con))


def _ledger_read(action: Callable[[Ledger], T]) -> tuple[T, datetime]:
    """List and show read the readers' snapshot (and say when it was published): they never
    wait for, or stop, a writer."""
    with read_snapshot(settings()) as (con, published_at):
        return action(Ledger(con, read_only=True)), published_at


@app.command("list")
@run_guarded
def list_command(
    status: str = typer.Option(LETTER_OPEN, "--status", help=STATUS_HELP),
    all_: bool = typer.Option(False, "--all", help="Every state (same as --status all)."),
) -> None:
    """Dead letters in one state (open by default), oldest first, and how many in each state."""
    wanted = ALL if all_ else status.strip().lower()
    if wanted != ALL and wanted not in DEAD_LETTER.states:
        raise LedgerlinkError(
            f"unknown dead letter state {status!r}: choose {', '.join(DEAD_LETTER.names)} or {ALL}"
        )

    def action(ledger: Ledger) -> tuple[list[dict[str, Any]], dict[str, int]]:
        return ledger.dead_letters(None if wanted == ALL else wanted), ledger.dead_letter_counts()

    (letters, counts), published_at = _ledger_read(action)
    rows = [
        (
            d["intent_key"][:12],
            d["target"],
            d["entity"],
            d["natural_key"],
            d["status"],
            d["reason"][:60],
        )
        for d in letters
    ]
    typer.echo(
        table(rows, ("id", "target", "entity", "key", "status", "reason"))
        if rows
        else f"no dead letters{'' if wanted == ALL else f' {wanted}'}"
    )
    typer.echo("\nby state: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    typer.echo(f"as of {published_at:%Y-%m-%d %H:%M:%S %Z} (the last write)")
    typer.echo(
        "filter with --status STATE or --all; `ledgerlink dlq show ID`, then replay ID (after "
        "fixing the cause) or discard ID"
    )


@app.command()
@run_guarded
def show(letter_id: str) -> None:
    """One dead letter with its payload and the target's error."""
    letter, _ = _ledger_read(lambda ledger: ledger.find_dead_letter(letter_id))
    payload = json.loads(letter.pop("payload"))
    for key, value in letter.items():
        typer.echo(f"{key:<12} {value}")
    typer.echo("payload")
    typer.echo(json.dumps(payload, indent=2, default=str))


@app.command()
@run_guarded
def replay(letter_id: str) -> None:
    """Make a dead letter's record eligible again (after fixing the mapping or the data); the
    next push or sync writes it, looking it up in the target first."""
    letter = _ledger_call(
        "dlq replay", lambda ledger: ledger.replay(ledger.find_dead_letter(letter_id)["intent_key"])
    )
    typer.echo(
        f"{letter['target']} {letter['entity']} {letter['natural_key']} will be written by the "
        "next push (`ledgerlink push` or `ledgerlink sync`)"
    )


@app.command()
@run_guarded
def discard(letter_id: str) -> None:
    """Give up on a dead letter: its content is never written (it stays in the ledger as
    discarded); newer content of the same record is planned and written as usual."""
    letter = _ledger_call(
        "dlq discard",
        lambda ledger: ledger.discard(ledger.find_dead_letter(letter_id)["intent_key"]),
    )
    typer.echo(f"discarded {letter['target']} {letter['entity']} {letter['natural_key']}")
