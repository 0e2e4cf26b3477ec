"""The ledger's operator actions and what it keeps for them: every try with its answer, edits
with who/when/before/after, assignments, discards with a reason; all within the state machine."""

from __future__ import annotations

import duckdb
import pytest

from ledgerlink.connectors.infor.errors import M3ValidationError
from ledgerlink.errors import LedgerlinkError
from reverse_etl import operator_actions
from reverse_etl.ledger import Ledger
from reverse_etl.operator_actions import ActionRefused, single_flight
from reverse_etl.states import IllegalTransition

JOURNALS = "infor_gl_journals"
PAYLOAD = {
    "KEY1": "FB-EXP-1",
    "DESC": "Travel",
    "lines": [{"AIT1": "9999"}],
    "expense_category": "Travel",
}


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    return Ledger(duckdb.connect(str(tmp_path / "warehouse.duckdb")))


def dead_letter(ledger: Ledger) -> str:
    run = ledger.start_run("push")
    intent = ledger.record_intent("infor", "gl_journals", "FB-EXP-1", "h", "create", run)
    ledger.begin_attempt(intent.key, run, '{"KEY1": "FB-EXP-1"}')
    error = M3ValidationError(
        "GLS840MI", "AddBatchLineFld", "Account is blocked", code="XBL0001", field="AIT1"
    )
    exchanges = [
        {"method": "GET", "url": "http://m3/execute/GLS840MI", "status": 200, "response": "{}"}
    ]
    ledger.finish_attempt(intent.key, run, "failed", error=error, exchanges=exchanges)
    ledger.dead_letter(intent, PAYLOAD, str(error), "XBL0001")
    return intent.key


def test_every_try_is_kept_with_what_was_sent_and_answered(ledger: Ledger):
    key = dead_letter(ledger)
    [attempt] = ledger.attempts_of(key)
    assert attempt["attempt"] == 1 and attempt["outcome"] == "dead_lettered"
    assert attempt["error_class"] == "value" and attempt["error_code"] == "XBL0001"
    assert attempt["error_field"] == "AIT1" and attempt["payload"] == '{"KEY1": "FB-EXP-1"}'
    assert "GLS840MI" in attempt["exchanges"]
    # a try whose process died leaves its row open; the next try closes it as unknown
    run = ledger.start_run("push")
    ledger.replay(key)
    ledger.begin_attempt(key, run)
    ledger.begin_attempt(key, run)
    tries = ledger.attempts_of(key)
    assert [t["outcome"] for t in tries] == ["dead_lettered", "unknown", None]


def test_an_edit_is_recorded_and_sent_for_that_content_only(ledger: Ledger):
    key = dead_letter(ledger)
    edit = ledger.edit_payload(key, "DESC", "Travel (fixed)", "olga")
    assert (edit["before"], edit["after"], edit["edited_by"]) == (
        "Travel",
        "Travel (fixed)",
        "olga",
    )
    assert ledger.payload_edits("infor", "gl_journals") == {key: {"DESC": "Travel (fixed)"}}
    [action] = ledger.actions_of(key)
    assert action["action"] == "edit" and action["actor"] == "olga"
    with pytest.raises(LedgerlinkError, match="no field 'NOPE'"):
        ledger.edit_payload(key, "NOPE", "x", "olga")
    with pytest.raises(LedgerlinkError, match="list or object"):
        ledger.edit_payload(key, "lines", "[]", "olga")
    ledger.replay(key, "olga")
    with pytest.raises(IllegalTransition, match="already replayed"):
        ledger.edit_payload(key, "DESC", "again", "olga")


def test_assign_and_discard_with_a_reason_are_kept(ledger: Ledger):
    key = dead_letter(ledger)
    ledger.assign(key, "ann", "olga")
    ledger.discard(key, "a duplicate expense", "olga")
    [letter] = ledger.dead_letters("discarded")
    assert letter["assigned_to"] == "ann" and letter["discard_reason"] == "a duplicate expense"
    assert [a["action"] for a in ledger.actions_of(key)] == ["assign", "discard"]
    with pytest.raises(IllegalTransition):
        ledger.replay(key)


def test_actions_are_single_flight_per_sync_and_per_process():
    with single_flight("a replay", "olga", (JOURNALS,)):
        same = "a replay of infor_gl_journals is already running"
        with pytest.raises(ActionRefused, match=same), single_flight("x", "ann", (JOURNALS,)):
            pass
        other = "warehouse busy: a replay by olga"
        with pytest.raises(ActionRefused, match=other), single_flight("x", "ann", ("customers",)):
            pass
    assert operator_actions.running() is None
