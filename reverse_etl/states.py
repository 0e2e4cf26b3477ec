"""The life of a pushed record, a dead letter and a push run: their states and allowed moves.

Declared once, here. The ledger (`reverse_etl/ledger.py`) makes every move through `move`, which
refuses one this module does not list with a one-line reason. Every count of records, in
`ledgerlink status`, the push summaries and dbt's `sync_health`, is a count per state listed
here: dbt reads the lists from `dbt_project/macros/ops/ledger_states.sql`, which
`python -m reverse_etl.states` writes from this module (a test checks that it is current).

A *record* is one (target, entity, natural key). Each content the plan gives it is one
*intent* (the content hash is part of the intent key), and each intent has a state. A record's
state is the state of its current intent: the one the plan held last.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ledgerlink.errors import LedgerlinkError


class IllegalTransition(LedgerlinkError):
    """A move the state machine does not allow; the message says why, in one line."""


@dataclass(frozen=True)
class State:
    """One state: what it means, and how it counts."""

    name: str
    meaning: str
    written: bool = False  # the target holds this content
    open: bool = False  # the push still acts on it (writes or retries it)
    needs_attention: bool = False  # a person should look


@dataclass(frozen=True)
class Transition:
    """What `event` does: from any of `sources` to one of `targets`."""

    event: str
    sources: frozenset[str | None]  # None: the intent (or letter) does not exist yet
    targets: frozenset[str]


class Machine:
    """States and the transitions between them; `move` checks one step."""

    def __init__(self, noun: str, states: tuple[State, ...], transitions: tuple[Transition, ...]):
        self.noun = noun
        self.states = {state.name: state for state in states}
        self.transitions = {t.event: t for t in transitions}
        for t in transitions:
            unknown = (t.sources - {None} | t.targets) - self.states.keys()
            if unknown:
                raise ValueError(f"{noun} transition {t.event} names unknown states {unknown}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.states)

    def where(self, **flags: bool) -> tuple[str, ...]:
        """The names of the states whose flags have these values, e.g. `where(written=True)`."""
        return tuple(
            state.name
            for state in self.states.values()
            if all(getattr(state, flag) == value for flag, value in flags.items())
        )

    def allows(self, event: str, source: str | None, target: str) -> bool:
        t = self.transitions.get(event)
        return t is not None and source in t.sources and target in t.targets

    def move(self, event: str, source: str | None, target: str, what: str) -> None:
        """Raise `IllegalTransition` unless `event` may take `what` from `source` to `target`."""
        if self.allows(event, source, target):
            return
        if source is None:
            raise IllegalTransition(f"{what}: no such {self.noun} to {event}")
        meaning = self.states[source].meaning if source in self.states else "unknown state"
        raise IllegalTransition(f"{what} is {source} ({meaning}): {event} does not apply")


# --- records ------------------------------------------------------------------------------------
PENDING = "pending"
CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
FAILED = "failed"
DEAD_LETTERED = "dead_lettered"
REPLAYED = "replayed"
DISCARDED = "discarded"
SUPERSEDED = "superseded"
HELD_FOR_REVIEW = "held_for_review"
APPROVED = "approved"
REJECTED = "rejected"

RECORD = Machine(
    "record",
    (
        State(
            PENDING,
            "recorded before its write: not tried yet, waiting for a parent record, or tried "
            "without a known outcome (looked up in the target before the next try)",
            open=True,
        ),
        State(CREATED, "written: the target has it as a new record", written=True),
        State(UPDATED, "written: the target's record was changed to it", written=True),
        State(UNCHANGED, "written: the target already held it as planned", written=True),
        State(
            FAILED,
            "the last try failed; the next push tries again until max_attempts",
            open=True,
            needs_attention=True,
        ),
        State(
            DEAD_LETTERED,
            "refused or out of attempts: an open dead letter holds the record until an "
            "operator replays or discards it",
            needs_attention=True,
        ),
        State(
            REPLAYED,
            "an operator replayed its dead letter: the next push writes it, looking it up first",
            open=True,
        ),
        State(DISCARDED, "an operator discarded its dead letter: never written"),
        State(
            SUPERSEDED,
            "no longer planned: newer content replaced it, or the target already held it",
        ),
        State(
            HELD_FOR_REVIEW,
            "the pre-posting gate found it unusual (amount, duplicate, currency): not written "
            "until a person approves it (`ledgerlink review`)",
            needs_attention=True,
        ),
        State(
            APPROVED,
            "a person approved it after review: the next push writes it, looking it up first",
            open=True,
        ),
        State(REJECTED, "a person rejected it after review: never written"),
    ),
    (
        # The plan holds this content: a new intent, or one the plan had dropped and holds again.
        Transition("plan", frozenset({None, SUPERSEDED}), frozenset({PENDING})),
        # The pre-posting gate (`reverse_etl/anomaly_gate.py`) stops a new intent before its
        # first write.
        Transition("hold", frozenset({PENDING}), frozenset({HELD_FOR_REVIEW})),
        # Counted before the target is called, so that a crash mid-call is visible.
        Transition(
            "attempt", frozenset({PENDING, FAILED, REPLAYED, APPROVED}), frozenset({PENDING})
        ),
        Transition(
            "write",
            frozenset({PENDING, FAILED, REPLAYED, APPROVED}),
            frozenset({CREATED, UPDATED, UNCHANGED}),
        ),
        Transition("fail", frozenset({PENDING, FAILED, REPLAYED, APPROVED}), frozenset({FAILED})),
        Transition(
            "dead_letter",
            frozenset({PENDING, FAILED, REPLAYED, APPROVED}),
            frozenset({DEAD_LETTERED}),
        ),
        # A held record whose content changed, or that the plan dropped, is no longer held.
        Transition(
            "supersede",
            frozenset({PENDING, FAILED, REPLAYED, APPROVED, HELD_FOR_REVIEW}),
            frozenset({SUPERSEDED}),
        ),
        # The operator's actions (`ledgerlink dlq replay|discard`).
        Transition("replay", frozenset({DEAD_LETTERED}), frozenset({REPLAYED})),
        Transition("discard", frozenset({DEAD_LETTERED}), frozenset({DISCARDED})),
        # The reviewer's actions (`ledgerlink review approve|reject`).
        Transition("approve", frozenset({HELD_FOR_REVIEW}), frozenset({APPROVED})),
        Transition("reject", frozenset({HELD_FOR_REVIEW}), frozenset({REJECTED})),
    ),
)
WRITTEN = RECORD.where(written=True)
OPEN = RECORD.where(open=True)

# --- dead letters -------------------------------------------------------------------------------
LETTER_OPEN = "open"
LETTER_REPLAYED = "replayed"
LETTER_RESOLVED = "resolved"
LETTER_DISCARDED = "discarded"
LETTER_SUPERSEDED = "superseded"

DEAD_LETTER = Machine(
    "dead letter",
    (
        State(
            LETTER_OPEN,
            "waits for an operator: fix the cause, then replay or discard",
            needs_attention=True,
        ),
        State(LETTER_REPLAYED, "replayed: the next push writes its record"),
        State(LETTER_RESOLVED, "its record was written after the replay"),
        State(LETTER_DISCARDED, "an operator gave up on it"),
        State(LETTER_SUPERSEDED, "replayed, then no longer planned (newer content or the target)"),
    ),
    (
        # A write fails for good: a new letter, or one that was replayed, or superseded and then
        # planned again.
        Transition(
            "dead_letter",
            frozenset({None, LETTER_REPLAYED, LETTER_SUPERSEDED}),
            frozenset({LETTER_OPEN}),
        ),
        Transition("replay", frozenset({LETTER_OPEN}), frozenset({LETTER_REPLAYED})),
        Transition("discard", frozenset({LETTER_OPEN}), frozenset({LETTER_DISCARDED})),
        Transition("resolve", frozenset({LETTER_REPLAYED}), frozenset({LETTER_RESOLVED})),
        Transition("supersede", frozenset({LETTER_REPLAYED}), frozenset({LETTER_SUPERSEDED})),
    ),
)

# --- runs ---------------------------------------------------------------------------------------
RUNNING = "running"
SUCCEEDED = "succeeded"
RUN_FAILED = "failed"
INTERRUPTED = "interrupted"
CRASHED = "crashed"

RUN = Machine(
    "run",
    (
        State(RUNNING, "started (recorded before the first write) and not finished yet"),
        State(SUCCEEDED, "finished with every planned record written or waiting"),
        State(
            RUN_FAILED,
            "finished with failed records or new dead letters, or stopped by an error",
            needs_attention=True,
        ),
        State(
            INTERRUPTED,
            "stopped by Ctrl-C or SIGTERM; counts are what it did before",
            needs_attention=True,
        ),
        State(
            CRASHED,
            "its process died without finishing; counts are as of its last heartbeat",
            needs_attention=True,
        ),
    ),
    (
        Transition("start", frozenset({None}), frozenset({RUNNING})),
        Transition("finish", frozenset({RUNNING}), frozenset({SUCCEEDED, RUN_FAILED, INTERRUPTED})),
        # Set by whoever finds the run's process gone (the next push, or `ledgerlink status`).
        Transition("crash", frozenset({RUNNING}), frozenset({CRASHED})),
    ),
)

MACHINES = {"record": RECORD, "dead_letter": DEAD_LETTER, "run": RUN}

# --- what dbt reads ------------------------------------------------------------------------------
DBT_MACROS = (
    Path(__file__).resolve().parent.parent / "dbt_project" / "macros" / "ops" / "ledger_states.sql"
)
FLAGS = ("written", "open", "needs_attention")


def dbt_macros() -> str:
    """The dbt macros that give each machine's states to the models and tests."""
    parts = [
        "{#- Generated by `python -m reverse_etl.states` from reverse_etl/states.py: do not edit.\n"
        "    Each macro returns one machine's states in order, as dicts of name and flags. -#}\n"
    ]
    for key, machine in MACHINES.items():
        rows = []
        for state in machine.states.values():
            flags = ", ".join(f'"{f}": {str(getattr(state, f)).lower()}' for f in FLAGS)
            rows.append(f'        {{"name": "{state.name}", {flags}}},')
        parts.append(
            f"\n{{% macro ledger_{key}_states() -%}}\n"
            "    {{ return([\n" + "\n".join(rows) + "\n    ]) }}\n"
            "{%- endmacro %}\n"
        )
    return "".join(parts)


if __name__ == "__main__":
    DBT_MACROS.parent.mkdir(exist_ok=True)
    DBT_MACROS.write_text(dbt_macros())
    print(f"wrote {DBT_MACROS}", file=sys.stderr)
