"""The one planner: what a push does with each row of a sync model.

`ledgerlink push --dry-run` reports these decisions and `ledgerlink push` executes them, so the
dry run shows exactly what the push does (up to what the targets answer). For each row, the
first rule that applies decides:

- `not_allowed`       the sync's mode does not take the operation (e.g. an update, create_only);
- `applied`           the ledger shows this very content written: nothing to send;
- `dead_letter_open`  an open dead letter holds the record, whatever its content, until an
                      operator replays or discards it (`ledgerlink dlq`);
- `discarded`         an operator discarded this content;
- `held_for_review`   the pre-posting gate held this content and nobody has decided yet
                      (`ledgerlink review`): it is not scored again, and not written;
- `rejected`          a reviewer rejected this content: never written;
- `waiting`           a parent record (`depends_on`) has no id in the target yet, and no earlier
                      sync of the same plan writes it: the row waits, visibly, for a later push;
- write               `create`, `update` or `void`, the row's operation.

Then the gate (`gate_decisions`, `reverse_etl/anomaly_gate.py`) scores the writes of new
content in a sync that declares `hold:`, and turns the unusual ones into `held_for_review`,
with their reasons; an approved row is written without being scored again.

Planning only reads the ledger. A dry run plans every sync first, counting the parents that an
earlier sync will write as written; a push plans each sync just before it runs, when those
parents are in the ledger.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from enum import StrEnum

import duckdb

from reverse_etl import anomaly_gate, states
from reverse_etl.definitions import SyncDefinition
from reverse_etl.ledger import Intent, Ledger, intent_key
from reverse_etl.operations import Operation


class Action(StrEnum):
    WRITE = "write"
    APPLIED = "applied"
    DEAD_LETTER_OPEN = "dead_letter_open"
    DISCARDED = "discarded"
    WAITING = "waiting"
    NOT_ALLOWED = "not_allowed"
    HELD = "held_for_review"
    REJECTED = "rejected"


WRITE_COLUMNS = ("create", "update", "void")
# The columns of a plan, in both summaries: writes by operation, then each reason to skip.
PLAN_COLUMNS = (*WRITE_COLUMNS, *(a.value for a in Action if a is not Action.WRITE))

# The target and natural key of a record (what `depends_on` names).
RecordRef = tuple[str, str]


@dataclass(frozen=True)
class Decision:
    op: Operation
    action: Action
    intent: Intent | None = None  # the ledger's intent for this content, if recorded before
    parent_ids: dict[str, str] = field(default_factory=dict)  # depends_on -> id in the target
    finding: anomaly_gate.Finding | None = None  # why the gate holds it

    @property
    def key(self) -> str:
        op = self.op
        return intent_key(op.sync.target, op.entity, op.natural_key, op.content_hash)

    @property
    def column(self) -> str:
        """The summary column this decision counts in."""
        return self.op.operation if self.action is Action.WRITE else self.action.value


def plan_sync(
    ledger: Ledger,
    sync: SyncDefinition,
    operations: list[Operation],
    will_write: Collection[RecordRef] = (),
) -> list[Decision]:
    """Decide every row of one sync, in order; `will_write` names the records that earlier
    syncs of the same plan write (a dry run's parents that are not in the ledger yet)."""
    intents = ledger.intents(sync.target, sync.entity)
    held = ledger.held_records(sync.target, sync.entity)
    decisions = []
    for op in operations:
        intent = intents.get(intent_key(sync.target, op.entity, op.natural_key, op.content_hash))
        status = intent.status if intent else None
        parent_ids: dict[str, str] | None = {}
        if not sync.allows(op.operation):
            action = Action.NOT_ALLOWED
        elif status in states.WRITTEN:
            action = Action.APPLIED
        elif op.natural_key in held or status == states.DEAD_LETTERED:
            action = Action.DEAD_LETTER_OPEN
        elif status == states.DISCARDED:
            action = Action.DISCARDED
        elif status == states.HELD_FOR_REVIEW:
            action = Action.HELD
        elif status == states.REJECTED:
            action = Action.REJECTED
        else:
            parent_ids = _parent_ids(ledger, sync, op, will_write)
            action = Action.WAITING if parent_ids is None else Action.WRITE
        decisions.append(Decision(op, action, intent, parent_ids or {}))
    return decisions


def scored(decision: Decision) -> bool:
    """Whether the gate scores this decision: a write of content not scored before (new, or
    planned again after it was dropped); never one tried already, replayed or approved."""
    if decision.action is not Action.WRITE:
        return False
    intent = decision.intent
    return (
        intent is None
        or intent.status == states.SUPERSEDED
        or (intent.status == states.PENDING and intent.attempts == 0)
    )


def gate_decisions(
    con: duckdb.DuckDBPyConnection, sync: SyncDefinition, decisions: list[Decision]
) -> list[Decision]:
    """The decisions with the writes the sync's `hold:` rules find unusual turned into holds
    (`Action.HELD`, with the finding); unchanged when the sync is not gated."""
    if sync.hold is None:
        return decisions
    rows = [(d.key, d.op.row) for d in decisions if scored(d)]
    findings = anomaly_gate.screen(con, sync, rows)
    return [
        replace(d, action=Action.HELD, finding=findings[d.key])
        if d.key in findings and scored(d)
        else d
        for d in decisions
    ]


def _parent_ids(
    ledger: Ledger, sync: SyncDefinition, op: Operation, will_write: Collection[RecordRef]
) -> dict[str, str] | None:
    """The target ids of the parents this row needs, or None while one is missing (a parent
    an earlier sync of the plan writes counts as there, with its id still unknown)."""
    if op.depends_on is None:
        return {}
    target_id = ledger.applied_target_id(sync.target, op.depends_on)
    if target_id:
        return {op.depends_on: target_id}
    return {} if (sync.target, op.depends_on) in will_write else None
