"""The push ledger on a real DuckDB file: intents, attempts, outcomes, dead letters, crosswalk."""

from __future__ import annotations

import duckdb
import pytest

from reverse_etl.ledger import Ledger, intent_key


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


def test_dead_letters_can_be_replayed_once(ledger: Ledger):
    run = ledger.start_run("push")
    intent = ledger.record_intent("infor", "gl_journals", "FB-EXP-1", "h", "create", run)
    ledger.begin_attempt(intent.key, run)
    ledger.dead_letter(intent, {"AIT1": "9999"}, "account 9999 does not exist", "XIM0002")
    [letter] = ledger.dead_letters()
    assert letter["reason"] == "account 9999 does not exist" and letter["attempts"] == 1
    assert ledger.intent(intent.key).status == "dead_lettered"
    ledger.set_dead_letter_status(intent.key, "replayed")
    assert ledger.dead_letters() == []
    assert ledger.intent(intent.key).status == "failed"  # eligible again
    assert ledger.intent(intent.key).attempts == 0


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
