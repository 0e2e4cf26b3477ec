"""`ledgerlink mapping suggest|accept|reject|fields`: proposed rows for the values that hold
records back, and where a new source column could map.

All read the readers' snapshot (never waiting for a sync); `suggest` and `fields` write nothing,
`accept` adds rows to the deployment's mapping file, `reject` records that a person said no
(`reverse_etl/mapping_suggestions.py` and `reverse_etl/field_suggestions.py` do the work).
"""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict

import typer

from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from ledgerlink.warehouse import read_snapshot
from reverse_etl import field_suggestions, mapping_suggestions
from reverse_etl.mapping_suggestions import EXPENSE_CATEGORY, KINDS

app = typer.Typer(help="Suggested rows for the mapping tables.", no_args_is_help=True)

KIND_HELP = f"Which mapping: {', '.join(KINDS)}."


def _suggestions(kind: str) -> tuple[Settings, list[mapping_suggestions.Suggestion]]:
    mapping_suggestions.file_for(kind)  # an unknown kind is refused before anything is read
    config = settings()
    with read_snapshot(config) as (con, _):
        return config, mapping_suggestions.suggest(config, con, kind)


@app.command("suggest")
@run_guarded
def suggest_command(
    kind: str = typer.Option(EXPENSE_CATEGORY, "--kind", help=KIND_HELP),
    min_confidence: float = typer.Option(
        0.0, "--min-confidence", min=0.0, max=1.0, help="Show only suggestions this confident."
    ),
    as_json: bool = typer.Option(False, "--json", help="The suggestions as JSON."),
) -> None:
    """Propose a row for each value that blocks a sync, with its evidence (writes nothing)."""
    config, found = _suggestions(kind)
    found = [s for s in found if s.confidence >= min_confidence]
    if as_json:
        typer.echo(json.dumps([asdict(s) for s in found], indent=2))
        return
    if not found:
        typer.echo(f"no {kind} blocks a sync: nothing to suggest")
        return
    for s in found:
        proposed = ", ".join(f"{c}={v}" for c, v in s.row.items())
        typer.echo(f"{s.id}  {s.value!r} -> {proposed}  (confidence {s.confidence:.2f})")
        for line in s.evidence:
            typer.echo(f"    - {line}")
        if s.alternatives:
            others = ", ".join(
                f"{a['target']} {a['description']} ({a['score']:.2f})" for a in s.alternatives
            )
            typer.echo(f"    - also possible: {others}")
    typer.echo("")
    typer.echo(mapping_suggestions.unified_diff(config, found).rstrip())
    also = "" if kind == EXPENSE_CATEGORY else f" --kind {kind}"
    typer.echo(
        f"\nnothing written: `ledgerlink mapping accept VALUE{also}` (or ID) adds a row, "
        "then `ledgerlink sync` posts what it held back"
    )


@app.command("accept")
@run_guarded
def accept_command(
    values: list[str] = typer.Argument(None, help="Values (or suggestion ids) to accept."),
    kind: str = typer.Option(EXPENSE_CATEGORY, "--kind", help=KIND_HELP),
    force: bool = typer.Option(
        False, "--force", help="Accept even below LEDGERLINK_MAPPING_ACCEPT_MIN_CONFIDENCE."
    ),
    auto: bool = typer.Option(
        False,
        "--auto",
        help="Accept every suggestion from LEDGERLINK_MAPPING_AUTO_ACCEPT_CONFIDENCE on "
        "(unset: none).",
    ),
) -> None:
    """Add the suggested rows for VALUES to the mapping file (never replacing a row)."""
    if not values and not auto:
        raise LedgerlinkError("name the values (or ids) to accept, or give --auto")
    config, found = _suggestions(kind)
    if auto:
        if config.mapping_auto_accept_confidence is None:
            raise LedgerlinkError(
                "LEDGERLINK_MAPPING_AUTO_ACCEPT_CONFIDENCE is not set: nothing is accepted "
                "automatically (set it, e.g. 0.9, or accept by name)"
            )
        chosen, path = mapping_suggestions.auto_accept(config, found)
        if path is None:
            typer.echo(
                f"no {kind} suggestion is {config.mapping_auto_accept_confidence:.2f} "
                "confident: nothing accepted"
            )
            return
    elif not found:
        raise LedgerlinkError(
            f"no {kind} blocks a sync: nothing to accept (`ledgerlink sync` rebuilds the list)"
        )
    else:
        chosen, path = mapping_suggestions.accept(
            config,
            found,
            values,
            min_confidence=config.mapping_accept_min_confidence,
            force=force,
            actor=getpass.getuser(),
        )
    for s in chosen:
        proposed = ", ".join(f"{c}={v}" for c, v in s.row.items())
        typer.echo(f"added {s.value!r}: {proposed} (confidence {s.confidence:.2f})")
    typer.echo(
        f"written to {path}; recorded in {config.home / mapping_suggestions.ACCEPTED_LOG}\n"
        "`ledgerlink sync` rebuilds and posts the records it held back"
    )


@app.command("reject")
@run_guarded
def reject_command(
    value: str = typer.Argument(..., help="Value (or suggestion id) to reject."),
    kind: str = typer.Option(EXPENSE_CATEGORY, "--kind", help=KIND_HELP),
    reason: str = typer.Option("", "--reason", help="Why, for the record."),
) -> None:
    """Record that a suggestion is wrong: it is not shown again until its evidence changes."""
    config, found = _suggestions(kind)
    rejected = mapping_suggestions.reject(
        config, found, value, actor=getpass.getuser(), reason=reason
    )
    typer.echo(
        f"rejected {rejected.value!r} -> {rejected.row}; recorded in "
        f"{config.home / mapping_suggestions.REJECTED_LOG}. Map it by hand with "
        "`ledgerlink console` (Mappings)"
    )


@app.command("fields")
@run_guarded
def fields_command(
    as_json: bool = typer.Option(False, "--json", help="The suggestions as JSON."),
    acknowledge: bool = typer.Option(
        False, "--acknowledge", help="Record the columns listed now as known: not shown again."
    ),
) -> None:
    """Columns a raw table has that dbt's sources do not declare (and no one acknowledged),
    and the M3 fields each could map to (add the printed YAML to accept one)."""
    config = settings()
    with read_snapshot(config) as (con, _):
        found = field_suggestions.suggest_fields(con, field_suggestions.known_columns(config))
    if acknowledge:
        path = field_suggestions.acknowledge(config, found, getpass.getuser())
        typer.echo(
            f"{len(found)} undeclared column{'s' if len(found) != 1 else ''} recorded as known "
            f"in {path}: only columns that arrive later are suggested"
        )
        return
    if as_json:
        typer.echo(json.dumps([asdict(f) for f in found], indent=2))
        return
    if not found:
        typer.echo(
            "every raw column is declared in dbt's sources or acknowledged: nothing to suggest"
        )
        return
    for f in found:
        typer.echo(f"{f.schema}.{f.table}.{f.column} ({f.data_type}): not declared in {f.source}")
        if f.meaning:
            typer.echo(f"    - {f.meaning}")
        for t in f.targets:
            length = f", length {t.length}" if t.length else ""
            typer.echo(
                f"    - {t.transaction} {t.name} {t.description!r} ({t.type}{length}; "
                f"{t.score:.2f})"
            )
        typer.echo("    to declare it, add:")
        for line in f.yaml.splitlines():
            typer.echo(f"      {line}")
    typer.echo(
        f"\n{len(found)} undeclared column{'s' if len(found) != 1 else ''}; nothing written: "
        "declare one in its sources YAML, use it in the staging model, then map it "
        "(`ledgerlink console`, Field maps); `--acknowledge` records those you leave as known"
    )
