"""dbt's `sync_health` handles every state the state machines declare: a ledger holding a record
in every record state, a dead letter in every letter state and a run in every run state is
driven through the real ledger, and the mart builds with all its tests passing, one count
column per state, each record counted once, the same counts as `ledgerlink status`."""

from __future__ import annotations

import os
from collections import deque
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ledgerlink.dbt import build_models
from ledgerlink.settings import Settings, load_settings
from ledgerlink.warehouse import connect
from reverse_etl import states
from reverse_etl.ledger import Ledger, record_state_counts
from reverse_etl.states import DEAD_LETTER, RECORD, RUN, Machine

TARGET = "infor"
EVERY_STATE = "customers"  # one record in each record state
CHANGED = "customers_changed"  # records planned with new content after a failure
Path = list[tuple[str, str]]  # (event, state it leads to)


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """A warehouse of its own; no sandbox needed (nothing is pushed)."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_")):
            monkeypatch.delenv(key)
    (tmp_path / ".ledgerlink").mkdir()
    return load_settings(ledgerlink_home=tmp_path / ".ledgerlink")


def shortest_paths(machine: Machine) -> dict[str, Path]:
    """For each state, the shortest sequence of moves that reaches it from nothing."""
    paths: dict[str, Path] = {}
    todo: deque[tuple[str | None, Path]] = deque([(None, [])])
    while todo:
        source, path = todo.popleft()
        for transition in machine.transitions.values():
            if source not in transition.sources:
                continue
            for target in sorted(transition.targets):
                if target not in paths:
                    paths[target] = [*path, (transition.event, target)]
                    todo.append((target, paths[target]))
    return paths


def drive(ledger: Ledger, run: str, entity: str, natural_key: str, path: Path, content="h1"):
    """Take one record along `path` through the ledger's own methods."""
    key = ""
    for event, target in path:
        if event == "plan":
            intent = ledger.record_intent(TARGET, entity, natural_key, content, "create", run)
            key = intent.key
        elif event == "attempt":
            ledger.begin_attempt(key, run)
        elif event == "write":
            ledger.record_outcome(key, target, target_id=natural_key)
        elif event == "fail":
            ledger.record_outcome(key, target, error_message="M3 refused it")
        elif event == "dead_letter":
            ledger.dead_letter(ledger.intent(key), {"CUNO": natural_key}, "refused", "XVA0001")
        elif event == "supersede":
            others = set(ledger.intents(TARGET, entity)) - {key}
            ledger.supersede_unplanned(TARGET, entity, others, run)
        elif event == "replay":
            ledger.replay(key)
        elif event == "discard":
            ledger.discard(key)
        elif event == "hold":
            ledger.hold(key, {"CUNO": natural_key}, ["amount 48,200.00 is 31x the median"])
        elif event == "approve":
            ledger.approve(key, "controller")
        elif event == "reject":
            ledger.reject(key, "not ours", "controller")
        else:
            raise AssertionError(f"the test does not know how to {event}: teach `drive`")
        assert ledger.intent(key).status == target, (natural_key, event)


# Dead letter states that no shortest record path passes through, and the record paths that
# reach them (a test below checks that every letter state is covered).
LETTER_PATHS: dict[str, Path] = {
    states.LETTER_RESOLVED: [
        ("plan", states.PENDING),
        ("dead_letter", states.DEAD_LETTERED),
        ("replay", states.REPLAYED),
        ("attempt", states.PENDING),
        ("write", states.CREATED),
    ],
    states.LETTER_SUPERSEDED: [
        ("plan", states.PENDING),
        ("dead_letter", states.DEAD_LETTERED),
        ("replay", states.REPLAYED),
        ("supersede", states.SUPERSEDED),
    ],
}


def letter_states_reached(record_paths: list[Path]) -> set[str]:
    reached = set()
    for path in record_paths:
        events = [event for event, _ in path]
        if "dead_letter" in events:
            reached.add(
                {
                    "replay": states.LETTER_REPLAYED,
                    "discard": states.LETTER_DISCARDED,
                    "write": states.LETTER_RESOLVED,
                    "supersede": states.LETTER_SUPERSEDED,
                }.get(events[-1], states.LETTER_OPEN)
            )
    return reached


def test_every_dead_letter_state_is_covered():
    paths = [*shortest_paths(RECORD).values(), *LETTER_PATHS.values()]
    assert letter_states_reached(paths) == set(DEAD_LETTER.names)


def build_ledger(settings: Settings) -> dict[str, str]:
    """The ledger with every state; returns the run id per run state."""
    record_paths = shortest_paths(RECORD)
    assert set(record_paths) == set(RECORD.names)
    with connect(settings, read_only=False) as con:
        ledger = Ledger(con)
        run = ledger.start_run("push")
        for state, path in record_paths.items():
            drive(ledger, run, EVERY_STATE, f"R-{state}", path)
        for state, path in LETTER_PATHS.items():
            drive(ledger, run, "customers_letters", f"L-{state}", path)
        # A record whose content changed after it failed: two intents, counted once.
        for n in range(3):
            failed = [("plan", states.PENDING), ("attempt", states.PENDING), ("fail", "failed")]
            drive(ledger, run, CHANGED, f"C{n}", failed, content="h1")
            written = [("plan", states.PENDING), ("attempt", states.PENDING), ("write", "created")]
            drive(ledger, run, CHANGED, f"C{n}", written, content="h2")
        planned = {k for k, i in ledger.intents(TARGET, CHANGED).items() if i.status == "created"}
        assert ledger.supersede_unplanned(TARGET, CHANGED, planned, run) == 3
        ledger.finish_run(run, states.SUCCEEDED, {})
        return {state: run_in_state(ledger, state) for state in RUN.names}


def run_in_state(ledger: Ledger, state: str) -> str:
    """A run ending in `state` that recorded one record of entity `runs_<state>`."""
    run = ledger.start_run("push")
    intent = ledger.record_intent(TARGET, f"runs_{state}", "X1", "h", "create", run)
    ledger.begin_attempt(intent.key, run)
    ledger.record_outcome(intent.key, states.CREATED, target_id="X1")
    if state in RUN.transitions["finish"].targets:
        ledger.finish_run(run, state, {"created": 1})
    elif state == states.CRASHED:  # its process died: the heartbeat lapsed
        lapsed = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5)
        ledger.con.execute(
            "update ops.sync_runs set alive_until = ? where run_id = ?", [lapsed, run]
        )
    return run


def test_the_mart_builds_and_passes_its_tests_with_every_state(settings: Settings):
    runs = build_ledger(settings)

    built = build_models(settings, "+sync_health")

    assert [r["unique_id"] for r in built.failures()] == []
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        cursor = con.execute("select * from marts.sync_health")
        names = [d[0] for d in cursor.description]
        mart = {row[1]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
        ledger_counts = record_state_counts(con)

    every = mart[EVERY_STATE]
    assert every["record_count"] == len(RECORD.names)
    assert {state: every[f"{state}_count"] for state in RECORD.names} == dict.fromkeys(
        RECORD.names, 1
    )
    changed = mart[CHANGED]
    assert (changed["record_count"], changed["created_count"], changed["intent_count"]) == (3, 3, 6)
    assert changed["superseded_count"] == changed["failed_count"] == 0
    assert every["needs_attention"] and not changed["needs_attention"]

    # `ledgerlink status` counts what the mart counts.
    from_mart = sorted(
        (TARGET, entity, state, row[f"{state}_count"])
        for entity, row in mart.items()
        for state in RECORD.names
        if row[f"{state}_count"]
    )
    assert sorted(ledger_counts) == from_mart

    for state, run in runs.items():
        row = mart[f"runs_{state}"]
        assert (row["last_run_id"], row["last_run_status"]) == (run, state)
        attention = RUN.states[state].needs_attention
        assert row["needs_attention"] == attention, state
