"""The review queue: records the pre-posting gate held, listed, approved or rejected.

One service for every face (`ledgerlink review`, the console's review page). Listing reads the
readers' snapshot, so it never waits for a push. Approving and rejecting are writing actions:
they take the writer lock, change the record only through its state machine (a record approved
already, or written, is refused with a one-line reason), and keep who and when in
`ops.review_holds` and `ops.operator_actions`. An approved record is written by the next push,
exactly once: the push looks it up in the target before it writes it, as every write.
"""

from __future__ import annotations

from typing import Any

from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from ledgerlink.warehouse import NoSnapshot, connect, read_snapshot, writer_lock
from reverse_etl import states
from reverse_etl.ledger import Ledger
from reverse_etl.operator_actions import ActionResult, single_flight, sync_of
from reverse_etl.push import run_push

ALL = "all"
# The record states a held record can be in, for a listing's filter.
REVIEW_STATES = (states.HELD_FOR_REVIEW, states.APPROVED, states.REJECTED)


def held_records(settings: Settings, status: str = states.HELD_FOR_REVIEW) -> list[dict[str, Any]]:
    """The records the gate held, in one record state (`all`: every one), oldest first, from
    the readers' snapshot; [] before anything was written."""
    wanted = status.strip().lower()
    if wanted != ALL and wanted not in states.RECORD.states:
        raise LedgerlinkError(
            f"unknown state {status!r}: choose {', '.join(REVIEW_STATES)} or {ALL}"
        )
    try:
        with read_snapshot(settings) as (con, _):
            if not _has_review_table(con):
                return []
            return Ledger(con, read_only=True).held(None if wanted == ALL else wanted)
    except NoSnapshot:
        return []


def held_record(settings: Settings, prefix: str) -> dict[str, Any]:
    """The one held record whose id starts with `prefix`, with what reviewers did to it."""
    with read_snapshot(settings) as (con, _):
        if not _has_review_table(con):
            raise LedgerlinkError("nothing is held for review: the gate has held nothing yet")
        ledger = Ledger(con, read_only=True)
        record = ledger.find_held(prefix)
        record["actions"] = ledger.actions_of(record["intent_key"])
    return record


def _has_review_table(con: Any) -> bool:
    (found,) = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'ops' and table_name = 'review_holds'"
    ).fetchone()
    return bool(found)


def _chosen(settings: Settings, ids: list[str], what: str) -> tuple[list[dict], tuple[str, ...]]:
    """The held records named (ids or prefixes) and their syncs, from the readers' snapshot:
    known before the writer lock is asked for, so a second action in this process is refused
    before it waits."""
    if not ids:
        raise LedgerlinkError(f"no held record chosen to {what}")
    records = [held_record(settings, prefix) for prefix in ids]
    syncs = tuple(dict.fromkeys(sync_of(settings, r["target"], r["entity"]).name for r in records))
    return records, syncs


def approve(
    settings: Settings,
    ids: list[str],
    actor: str,
    *,
    note: str | None = None,
    push: bool = False,
) -> ActionResult:
    """Approve these held records (ids or prefixes); with `push`, push their syncs now (each
    record is looked up in the target first, so it is written at most once)."""
    records, syncs = _chosen(settings, ids, "approve")
    named = ", ".join(r["natural_key"] for r in records)
    with single_flight("an approval", actor, syncs), writer_lock(settings, f"approve by {actor}"):
        with connect(settings, read_only=False) as con:
            ledger = Ledger(con)
            for record in records:
                ledger.approve(record["intent_key"], actor, note)
        if not push:
            return ActionResult(
                f"approved {named}: the next push writes "
                f"{'it' if len(records) == 1 else 'them'} (`ledgerlink push`)"
            )
        report = run_push(settings, list(syncs), command=f"approve by {actor}")
    written = sum(report.total(c) for c in ("created", "updated", "unchanged"))
    failed = report.total("failed") + report.total("dead_lettered")
    text = f"approved {named}; the push wrote {written}"
    if failed:
        text += f", {failed} failed (`ledgerlink status`)"
    return ActionResult(text, report)


def reject(settings: Settings, ids: list[str], reason: str, actor: str) -> ActionResult:
    """Reject these held records: their content is never written (new content of the same
    record is a new intent, which the gate scores afresh)."""
    if not reason.strip():
        raise LedgerlinkError("say why the held record is rejected: --reason TEXT")
    records, syncs = _chosen(settings, ids, "reject")
    with (
        single_flight("a rejection", actor, syncs),
        writer_lock(settings, f"reject by {actor}"),
        connect(settings, read_only=False) as con,
    ):
        ledger = Ledger(con)
        for record in records:
            ledger.reject(record["intent_key"], reason, actor)
    named = ", ".join(r["natural_key"] for r in records)
    return ActionResult(f"rejected {named}: never written")
