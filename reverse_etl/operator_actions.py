"""What an operator does to held records, as one service for every face: replay (and push),
discard with a reason, edit a payload field and replay, assign, rebuild after a mapping fix.

Each action is a writing command: it takes the warehouse's writer lock for its whole run (and
fails at once with "warehouse busy" while a sync runs), changes the ledger only through its
state machine, and writes to the targets only through the push service (`run_push`), which
looks every replayed record up before writing it, so nothing is written twice.

Actions are single-flight: while one runs in this process, another on the same sync is refused
with what is running and since when, and any other waits for nothing: it is refused too, since
the process holds the one writer lock (DuckDB has one writer per file).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from ledgerlink.dbt import build_models
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, read_snapshot, writer_lock
from reverse_etl.definitions import SyncDefinition
from reverse_etl.ledger import Ledger
from reverse_etl.push import run_push
from reverse_etl.runner import PushReport, select_syncs

T = TypeVar("T")


class ActionRefused(LedgerlinkError):
    """Another action runs (on the same sync, or in this process): try again when it ends."""


@dataclass(frozen=True)
class Running:
    what: str
    actor: str
    syncs: tuple[str, ...]
    since: datetime

    def describe(self) -> str:
        return f"{self.what} by {self.actor} (since {self.since:%H:%M:%S} UTC)"


@dataclass
class ActionResult:
    message: str
    report: PushReport | None = None


_guard = threading.Lock()
_running: Running | None = None


def running() -> Running | None:
    """The action this process runs now, if any."""
    return _running


@contextmanager
def single_flight(what: str, actor: str, syncs: tuple[str, ...]) -> Iterator[None]:
    global _running
    with _guard:
        current = _running
        if current is not None:
            same = sorted(set(current.syncs) & set(syncs))
            if same:
                raise ActionRefused(
                    f"{current.what} of {', '.join(same)} is already running "
                    f"({current.describe()}): wait for it to finish, then look again"
                )
            raise ActionRefused(
                f"warehouse busy: {current.describe()} is writing; try again when it finishes"
            )
        _running = Running(what, actor, syncs, datetime.now(UTC))
    try:
        yield
    finally:
        with _guard:
            _running = None


def sync_of(settings: Settings, target: str, entity: str) -> SyncDefinition:
    for sync in select_syncs(None, settings.systems):
        if sync.target == target and sync.entity == entity:
            return sync
    raise LedgerlinkError(f"no sync writes {target} {entity} in this deployment")


def _letters(settings: Settings, keys: list[str]) -> list[dict]:
    """The dead letters named, read from the live ledger (under the writer lock)."""
    with connect(settings, read_only=False) as con:
        letters = {row["intent_key"]: row for row in Ledger(con).dead_letters(None)}
    missing = [key[:12] for key in keys if key not in letters]
    if missing:
        raise LedgerlinkError(f"no dead letter {', '.join(missing)}")
    return [letters[key] for key in keys]


def _with_ledger(settings: Settings, action: Callable[[Ledger], T]) -> T:
    with connect(settings, read_only=False) as con:
        return action(Ledger(con))


def _syncs_for(settings: Settings, keys: list[str]) -> tuple[str, ...]:
    """The syncs of these dead letters, from the readers' snapshot: known before the writer
    lock is asked for, so a second action in this process is refused before it waits."""
    with read_snapshot(settings) as (con, _):
        rows = con.execute(
            "select distinct target, entity from ops.dead_letters where list_contains(?, "
            "intent_key)",
            [keys],
        ).fetchall()
    if not rows:
        raise LedgerlinkError("no such dead letter: reload the page")
    return tuple(dict.fromkeys(sync_of(settings, target, entity).name for target, entity in rows))


def replay(settings: Settings, keys: list[str], actor: str, *, push: bool = True) -> ActionResult:
    """Replay these open dead letters, then push their syncs (unless `push` is off): each
    record is looked up in the target first, so it is written at most once."""
    if not keys:
        raise LedgerlinkError("no dead letter chosen to replay")
    syncs = _syncs_for(settings, keys)
    with single_flight("a replay", actor, syncs), writer_lock(settings, f"replay by {actor}"):
        _letters(settings, keys)
        _with_ledger(settings, lambda ledger: [ledger.replay(k, actor) for k in keys])
        if not push:
            return ActionResult(f"replayed {len(keys)}: the next push writes them")
        report = run_push(settings, list(syncs), command=f"replay by {actor}")
    return ActionResult(_pushed(len(keys), report), report)


def edit_and_replay(
    settings: Settings, key: str, field: str, value: str, actor: str
) -> ActionResult:
    """Set one field of an open dead letter's payload (kept in `ops.payload_edits` with who,
    when, before and after), replay it and push its sync."""
    syncs = _syncs_for(settings, [key])

    def edit(ledger: Ledger) -> None:
        ledger.edit_payload(key, field, value, actor)
        ledger.replay(key, actor)

    with single_flight("a replay", actor, syncs), writer_lock(settings, f"edit by {actor}"):
        _with_ledger(settings, edit)
        report = run_push(settings, list(syncs), command=f"replay by {actor}")
    return ActionResult(f"{field} set to {value!r}; " + _pushed(1, report), report)


def discard(settings: Settings, key: str, reason: str, actor: str) -> ActionResult:
    if not reason.strip():
        raise LedgerlinkError("say why the dead letter is discarded (it is kept with it)")
    syncs = _syncs_for(settings, [key])
    with single_flight("a discard", actor, syncs), writer_lock(settings, f"discard by {actor}"):
        letter = _with_ledger(settings, lambda ledger: ledger.discard(key, reason, actor))
    return ActionResult(
        f"discarded {letter['target']} {letter['entity']} {letter['natural_key']}: never written"
    )


def assign(settings: Settings, keys: list[str], person: str, actor: str) -> ActionResult:
    syncs = _syncs_for(settings, keys)
    with single_flight("an assignment", actor, syncs), writer_lock(settings, f"assign by {actor}"):
        _letters(settings, keys)
        _with_ledger(settings, lambda ledger: [ledger.assign(k, person, actor) for k in keys])
    who = person.strip() or "nobody"
    return ActionResult(f"{len(keys)} dead letter{'s' if len(keys) != 1 else ''} assigned to {who}")


def rebuild_after_mapping_change(settings: Settings, files: list[str], actor: str) -> ActionResult:
    """Load the changed mapping tables and rebuild what depends on them (dbt, no tests), so the
    next push, or a replay, plans with the new mapping."""
    selectors = [f"{Path(name).stem}+" for name in files]
    every = tuple(s.name for s in select_syncs(None, settings.systems))
    with (
        single_flight("a mapping rebuild", actor, every),
        writer_lock(settings, f"mapping rebuild by {actor}"),
    ):
        build_models(settings, *selectors, with_tests=False)
    return ActionResult(f"rebuilt {', '.join(selectors)}: the sync models plan with the change")


def _pushed(count: int, report: PushReport) -> str:
    written = sum(report.total(c) for c in ("created", "updated", "unchanged"))
    failed = report.total("failed") + report.total("dead_lettered")
    held = "; ".join(f"{s} held: {why}" for s, why in report.held.items())
    text = f"replayed {count}; the push wrote {written}"
    if failed:
        text += f", {failed} failed again (see the attempts)"
    return text + (f"; {held}" if held else "")
