"""`ledgerlink dlq list|show|replay|discard`: the dead letters operators fix and replay."""

from __future__ import annotations

import json

import typer

from ledgerlink.cli.common import run_guarded, settings, table
from ledgerlink.errors import LedgerlinkError
from ledgerlink.warehouse import connect, writer_lock
from reverse_etl.ledger import Ledger

app = typer.Typer(help="Dead letters: writes that need a person.", no_args_is_help=True)


def _ledger_call(purpose: str, action):
    config = settings()
    with writer_lock(config, purpose), connect(config, read_only=False) as con:
        return action(Ledger(con))


@app.command("list")
@run_guarded
def list_command(
    all_: bool = typer.Option(False, "--all", help="Replayed and discarded too."),
) -> None:
    """Open dead letters, oldest first."""
    letters = _ledger_call("dlq list", lambda ledger: ledger.dead_letters(None if all_ else "open"))
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
        else "no dead letters"
    )


def _find(ledger: Ledger, prefix: str) -> dict:
    matches = [d for d in ledger.dead_letters(None) if d["intent_key"].startswith(prefix)]
    if len(matches) != 1:
        raise LedgerlinkError(
            f"{len(matches)} dead letters start with {prefix!r}; give more of the id"
        )
    return matches[0]


@app.command()
@run_guarded
def show(letter_id: str) -> None:
    """One dead letter with its payload and the target's error."""
    letter = _ledger_call("dlq show", lambda ledger: _find(ledger, letter_id))
    payload = json.loads(letter.pop("payload"))
    for key, value in letter.items():
        typer.echo(f"{key:<12} {value}")
    typer.echo("payload")
    typer.echo(json.dumps(payload, indent=2, default=str))


@app.command()
@run_guarded
def replay(letter_id: str) -> None:
    """Make a dead letter eligible again (after fixing the mapping or the data); the next push
    or sync writes it, looking it up in the target first."""

    def action(ledger: Ledger) -> dict:
        letter = _find(ledger, letter_id)
        ledger.set_dead_letter_status(letter["intent_key"], "replayed")
        return letter

    letter = _ledger_call("dlq replay", action)
    typer.echo(f"{letter['entity']} {letter['natural_key']} will be written by the next push")


@app.command()
@run_guarded
def discard(letter_id: str) -> None:
    """Give up on a dead letter (it stays in the ledger as discarded)."""

    def action(ledger: Ledger) -> dict:
        letter = _find(ledger, letter_id)
        ledger.set_dead_letter_status(letter["intent_key"], "discarded")
        return letter

    letter = _ledger_call("dlq discard", action)
    typer.echo(f"discarded {letter['entity']} {letter['natural_key']}")
