"""The push ledger on a real DuckDB file: intents, attempts, outcomes, dead letters, crosswalk."""

from __future__ import annotations

import duckdb
import pytest

from ledgerlink.errors import LedgerlinkError
from reverse_etl.ledger import Intent, Ledger, intent_key
from reverse_etl.states import IllegalTransition


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    return Ledger(duckdb.connect(str(tmp_path / "warehouse.duckdb")))


def test_the_same_operation_always_has_the_same_intent(ledger: Ledger):
    run = ledger.start_run("push")
    first = ledger.record_intent("infor", "customers", "FB1", "h1", "create", run)
    again = ledger.record_intent("infor", "customers", "FB1", "h1", "create", run)
    changed = ledger.record_intent("infor", "customers", "FB1", "h2", "update", run)
    assert first.key == again.key == intent_key("infor", "customers", "FB1", "h1")
    assert changed.key != first.key
    assert ledger.con.execute("select count(*) from ops.sync_records").fetchone()[0] == 2


def test_an_attempt_without_an_outcome_is_visible_after_a_restart(ledger: Ledger, tmp_path):
    run = ledger.start_run("push")
    intent = ledger.record_intent("infor", "customers", "FB1", "h1", "create", run)
    assert not intent.outcome_unknown
    ledger.begin_attempt(intent.key, run)
    ledger.con.close()  # the process dies mid-call
    reopened = Ledger(duckdb.connect(str(tmp_path / "warehouse.duckdb")))
    assert reopened.intent(intent.key).outcome_unknown
    reopened.record_outcome(intent.key, "created", target_id="FB1")
    assert reopened.intent(intent.key).is_applied


def dead_lettered(ledger: Ledger, natural_key: str = "FB-EXP-1") -> Intent:
    run = ledger.start_run("push")
    intent = ledger.record_intent("infor", "gl_journals", natural_key, "h", "create", run)
    ledger.begin_attempt(intent.key, run)
    ledger.dead_letter(intent, {"AIT1": "9999"}, "account 9999 does not exist", "XIM0002")
    return intent


def test_a_dead_letter_is_replayed_once_and_resolved_when_its_record_is_written(ledger: Ledger):
    intent = dead_lettered(ledger)
    [letter] = ledger.dead_letters()
    assert letter["reason"] == "account 9999 does not exist" and letter["attempts"] == 1
    assert ledger.intent(intent.key).status == "dead_lettered"

    ledger.replay(intent.key)
    assert ledger.dead_letters() == []
    assert ledger.intent(intent.key).status == "replayed"  # eligible again, a fresh budget
    assert ledger.intent(intent.key).attempts == 0
    with pytest.raises(IllegalTransition, match="already replayed"):
        ledger.replay(intent.key)

    run = ledger.start_run("push")
    ledger.begin_attempt(intent.key, run)
    ledger.record_outcome(intent.key, "created", target_id="FB-EXP-1")
    [letter] = ledger.dead_letters("resolved")
    assert letter["closed_at"] is not None
    with pytest.raises(IllegalTransition, match=r"already written as FB-EXP-1 \(created\)"):
        ledger.replay(intent.key)
    assert ledger.intent(intent.key).status == "created"  # the refusal changed nothing


def test_a_discarded_letter_stays_discarded(ledger: Ledger):
    intent = dead_lettered(ledger)
    ledger.discard(intent.key)
    assert ledger.intent(intent.key).status == "discarded"
    for action in (ledger.replay, ledger.discard):
        with pytest.raises(IllegalTransition, match="already discarded"):
            action(intent.key)


def test_the_ledger_refuses_moves_the_state_machine_does_not_list(ledger: Ledger):
    run = ledger.start_run("push")
    intent = ledger.record_intent("infor", "customers", "FB1", "h1", "create", run)
    ledger.begin_attempt(intent.key, run)
    ledger.record_outcome(intent.key, "created", target_id="FB1")
    with pytest.raises(IllegalTransition, match="infor customers FB1 is created"):
        ledger.record_outcome(intent.key, "failed", error_message="late answer")
    with pytest.raises(IllegalTransition, match="attempt does not apply"):
        ledger.begin_attempt(intent.key, run)


def two_keys_sharing_a_prefix(length: int) -> tuple[str, str]:
    """Two journal numbers whose intent keys start alike (found by trying, deterministically)."""
    seen: dict[str, str] = {}
    for n in range(100_000):
        number = f"FB-EXP-{n}"
        prefix = intent_key("infor", "gl_journals", number, "h")[:length]
        if prefix in seen:
            return seen[prefix], number
        seen[prefix] = number
    raise AssertionError("no two keys share a prefix")


def test_dead_letter_ids_need_a_few_characters_and_one_match(ledger: Ledger):
    one, other = two_keys_sharing_a_prefix(4)
    first, second = dead_lettered(ledger, one), dead_lettered(ledger, other)
    for prefix in ("", " ", "abc"):
        with pytest.raises(LedgerlinkError, match="give at least 4 characters"):
            ledger.find_dead_letter(prefix)
    with pytest.raises(LedgerlinkError, match="matches 2 dead letters") as ambiguous:
        ledger.find_dead_letter(first.key[:4])
    assert f"{first.key[:12]} (gl_journals {one})" in str(ambiguous.value)
    assert f"{second.key[:12]} (gl_journals {other})" in str(ambiguous.value)
    assert ledger.find_dead_letter(first.key[:12].upper())["intent_key"] == first.key
    with pytest.raises(LedgerlinkError, match="no dead letter id starts with"):
        ledger.find_dead_letter("zzzz")


def test_a_record_counts_once_in_the_state_of_its_latest_planned_content(ledger: Ledger):
    run = ledger.start_run("push")
    old = ledger.record_intent("infor", "customers", "FB1", "h1", "create", run)
    ledger.begin_attempt(old.key, run)
    ledger.record_outcome(old.key, "failed", error_message="refused")
    new = ledger.record_intent("infor", "customers", "FB1", "h2", "create", run)  # content fixed
    ledger.begin_attempt(new.key, run)
    ledger.record_outcome(new.key, "created", target_id="FB1")
    assert ledger.supersede_unplanned("infor", "customers", {new.key}, run) == 1
    assert ledger.state_counts() == [("infor", "customers", "created", 1)]


def test_a_run_whose_process_died_is_crashed(ledger: Ledger):
    run = ledger.start_run("push")
    ledger.con.execute(
        "update ops.sync_runs set pid = 2147483646 where run_id = ?", [run]
    )  # no such process
    assert ledger.close_dead_runs() == [run]
    status, error = ledger.con.execute(
        "select status, error from ops.sync_runs where run_id = ?", [run]
    ).fetchone()
    assert status == "crashed" and "stopped without finishing" in error


def test_the_crosswalk_merges_what_it_learns(ledger: Ledger):
    ledger.link("customer", freshbooks_account_id="A", freshbooks_id="7", shop_id="55")
    ledger.link(
        "customer",
        freshbooks_account_id="A",
        freshbooks_id="7",
        infor_company="100",
        infor_key="FB7",
    )
    rows = ledger.con.execute(
        "select freshbooks_id, infor_key, shop_id from ops.id_crosswalk where entity = 'customer'"
    ).fetchall()
    assert rows == [("7", "FB7", "55")]


def test_a_ledger_from_before_the_state_machine_is_repaired_when_opened(ledger: Ledger, tmp_path):
    """Older code left a discarded letter's intent dead-lettered, and a replayed letter
    `replayed` for good after its record was written."""
    discarded, written = dead_lettered(ledger, "FB-EXP-1"), dead_lettered(ledger, "FB-EXP-2")
    con = ledger.con
    con.execute(
        "update ops.dead_letters set status = 'discarded' where intent_key = ?", [discarded.key]
    )
    con.execute(
        "update ops.dead_letters set status = 'replayed' where intent_key = ?", [written.key]
    )
    con.execute(
        "update ops.sync_records set status = 'created', last_attempt_at = now() + interval 1 hour "
        "where intent_key = ?",
        [written.key],
    )
    con.close()

    reopened = Ledger(duckdb.connect(str(tmp_path / "warehouse.duckdb")))

    assert reopened.intent(discarded.key).status == "discarded"
    assert [d["intent_key"] for d in reopened.dead_letters("resolved")] == [written.key]
