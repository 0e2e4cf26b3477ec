"""Edit a field of a dead letter's payload and replay: the push sends the edited value (to the
sandbox, for real), the edit is kept in ops with who, before and after, and the record is
written once."""

from __future__ import annotations

from synthetic_syncs import Targets, customer, ledger_rows, push, unpaced, write_plan

from reverse_etl import operator_actions


def test_an_edited_payload_is_what_the_replay_writes(settings, sandbox):
    sync = unpaced("infor_customers", max_attempts=1)
    row = customer("FB902001", "Ada Lovelace")
    wrong = type(row)(row.natural_key, {**row.payload, "CUTM": "NOSUCH"})
    write_plan(settings, sync, [wrong])
    report = push(settings, [sync])
    assert report.total("dead_lettered") == 1
    [(key, reason)] = ledger_rows(settings, "select intent_key, reason from ops.dead_letters")
    assert "NOSUCH" in reason or "CUTM" in reason

    result = operator_actions.edit_and_replay(settings, key, "CUTM", "TPLUSD", "olga")
    assert "the push wrote 1" in result.message, result.message

    targets = Targets(settings)
    try:
        assert targets.count(sync, row.natural_key) == 1
    finally:
        targets.close()
    [(field, before, after, who)] = ledger_rows(
        settings, "select field, before, after, edited_by from ops.payload_edits"
    )
    assert (field, before, after, who) == ("CUTM", "NOSUCH", "TPLUSD", "olga")
    sent = ledger_rows(
        settings,
        "select payload, outcome from ops.sync_attempts where intent_key = ? order by started_at",
        [key],
    )
    assert '"CUTM": "NOSUCH"' in sent[0][0] and sent[0][1] == "dead_lettered"
    assert '"CUTM": "TPLUSD"' in sent[-1][0] and sent[-1][1] == "created"
    assert ledger_rows(settings, "select status from ops.dead_letters") == [("resolved",)]
    actions = ledger_rows(
        settings, "select action, actor from ops.operator_actions order by acted_at"
    )
    assert actions == [("edit", "olga"), ("replay", "olga")]
