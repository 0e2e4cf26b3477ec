"""The state machines are declared once: dbt's copy is generated from them and current, every
state can be reached, and the mart declares a count column for each record state."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest
import yaml

from reverse_etl import states
from reverse_etl.states import DEAD_LETTER, MACHINES, RECORD, IllegalTransition, Machine

ANALYTICS_YAML = (
    Path(states.__file__).resolve().parent.parent
    / "dbt_project"
    / "models"
    / "marts"
    / "analytics"
    / "_analytics__models.yml"
)


def test_the_dbt_macros_are_generated_from_the_declaration():
    assert states.DBT_MACROS.read_text() == states.dbt_macros(), (
        "dbt's copy of the states is stale: run `python -m reverse_etl.states`"
    )


def reachable(machine: Machine) -> set[str]:
    seen: set[str] = set()
    todo: deque[str | None] = deque([None])
    while todo:
        source = todo.popleft()
        for transition in machine.transitions.values():
            if source in transition.sources:
                for target in transition.targets - seen:
                    seen.add(target)
                    todo.append(target)
    return seen


@pytest.mark.parametrize("name", list(MACHINES))
def test_every_state_can_be_reached(name: str):
    machine = MACHINES[name]
    assert set(machine.names) - reachable(machine) == set()


def test_a_written_record_stays_written():
    """No move leaves a written state: what the target holds is never reopened."""
    for transition in RECORD.transitions.values():
        assert not transition.sources & set(states.WRITTEN), transition.event


def test_operators_act_on_dead_letters_only():
    for event in ("replay", "discard"):
        assert RECORD.transitions[event].sources == {states.DEAD_LETTERED}
        assert DEAD_LETTER.transitions[event].sources == {states.LETTER_OPEN}


def test_an_illegal_move_is_refused_in_one_line():
    with pytest.raises(IllegalTransition) as refused:
        RECORD.move("replay", states.CREATED, states.REPLAYED, "infor customers FB1")
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("infor customers FB1 is created (written: the target has it")
    with pytest.raises(IllegalTransition, match="no such record to attempt"):
        RECORD.move("attempt", None, states.PENDING, "infor customers FB2")


def test_the_mart_declares_a_count_for_every_record_state():
    models = yaml.safe_load(ANALYTICS_YAML.read_text())["models"]
    (mart,) = [m for m in models if m["name"] == "sync_health"]
    columns = {c["name"]: c for c in mart["columns"]}
    for state in RECORD.names:
        column = columns.get(f"{state}_count")
        assert column is not None, f"sync_health has no {state}_count column"
        assert column["data_type"] == "bigint" and column.get("description")
