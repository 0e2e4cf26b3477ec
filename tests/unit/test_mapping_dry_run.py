"""How a dry run compares what the sync models plan now with what they would plan."""

from __future__ import annotations

from reverse_etl.mapping_dry_run import DryRun, _compare


def planned(**rows: tuple[str, dict]) -> dict[str, dict]:
    return {key: {"hash": hashed, "payload": payload} for key, (hashed, payload) in rows.items()}


def test_rows_that_start_stop_or_change_are_told_apart_field_by_field():
    before = {
        "sync_infor__gl_journals": planned(
            a=("h1", {"gl_account": "6000", "amount": "10.00"}),
            b=("h2", {"gl_account": "6100", "amount": "5.00"}),
            c=("h3", {"gl_account": "6200", "amount": "1.00"}),
        ),
        "sync_infor__customers": planned(x=("h9", {"CUCL": "A"})),
    }
    after = {
        "sync_infor__gl_journals": planned(
            a=("h1", {"gl_account": "6000", "amount": "10.00"}),
            b=("h2b", {"gl_account": "6150", "amount": "5.00"}),
            d=("h4", {"gl_account": "6000", "amount": "2.00"}),
        ),
        "sync_infor__customers": planned(x=("h9", {"CUCL": "A"})),
    }
    diffs = {d.model: d for d in _compare(before, after)}
    journals = diffs["sync_infor__gl_journals"]
    assert (journals.planned_before, journals.planned_after) == (3, 3)
    assert journals.added == ["d"] and journals.removed == ["c"]
    assert journals.changed == {"b": {"gl_account": ("6100", "6150")}}
    assert not diffs["sync_infor__customers"]  # nothing differs: falsy, left out of the page


def test_a_model_that_appears_or_disappears_counts_every_row():
    diffs = _compare({}, {"sync_freshbooks__clients": planned(k=("h", {"email": "a@b"}))})
    assert diffs[0].added == ["k"] and diffs[0].planned_before == 0


def test_the_summary_counts_what_each_list_holds():
    run = DryRun(
        file="currencies.csv",
        syncs=_compare({"m": planned(a=("1", {}))}, {"m": planned(b=("2", {}))}),
        resolved=["journal 1: unmapped"],
        caused=[],
        failed_tests=["accepted_values_x"],
        seconds=12.4,
    )
    assert run.summary == (
        "dry run of currencies.csv (12 s): 1 newly planned, 1 no longer planned, "
        "0 with changed fields, 1 rejects resolved, 0 new rejects, 1 tests would fail"
    )
