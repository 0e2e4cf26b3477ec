"""What a build leaves a push: which sync models must wait, and what the next build selects;
what a build's progress says as dbt finishes each node."""

from __future__ import annotations

from ledgerlink.builds import BuildState
from ledgerlink.dbt import DbtProgress, DbtRun


def build(returncode: int, **statuses: str) -> DbtRun:
    results = [{"unique_id": f"model.ledgerlink.{m}", "status": s} for m, s in statuses.items()]
    return DbtRun(command=["dbt", "build"], returncode=returncode, results=results)


def test_a_model_dbt_failed_on_or_skipped_waits_and_one_it_built_goes_on():
    run = build(1, sync_a="error", sync_b="skipped", sync_c="success")
    held = run.not_built(["sync_a", "sync_b", "sync_c"])
    assert set(held) == {"sync_a", "sync_b"}
    assert (
        held["sync_a"].startswith("dbt failed on sync_a")
        and "ledgerlink transform" in held["sync_a"]
    )
    assert held["sync_b"].startswith("dbt skipped sync_b")


def test_a_model_a_partial_build_did_not_select_is_not_held_whatever_else_failed():
    run = build(1, sync_a="error")
    assert set(run.not_built(["sync_a", "sync_other"])) == {"sync_a"}


def test_every_model_waits_when_dbt_did_not_run():
    run = DbtRun(command=["dbt", "build"], returncode=2, results=[])
    assert set(run.not_built(["sync_a", "sync_b"])) == {"sync_a", "sync_b"}


def test_a_build_selects_the_tables_whose_data_changed_appeared_or_went():
    sources = {"freshbooks.clients": "3/1.1", "ops.sync_records": "9/7"}
    last = BuildState("p1", "2026-12-07", sources)
    now = BuildState(
        "p1",
        "2026-12-07",
        {"freshbooks.clients": "4/1.2", "infor.customers": "0/", "ops.sync_records": "9/7"},
    )
    assert now.changed_sources(last) == ["freshbooks.clients", "infor.customers"]
    gone = BuildState("p1", "2026-12-07", {"freshbooks.clients": "3/1.1"})
    assert gone.changed_sources(last) == ["ops.sync_records"]
    assert last.changed_sources(last) == []


def test_a_changed_project_or_a_new_day_builds_everything():
    last = BuildState("p1", "2026-12-07", {"freshbooks.clients": "3/1.1"})
    assert BuildState("p2", "2026-12-07", last.sources).changed_sources(last) is None
    assert BuildState("p1", "2026-12-08", last.sources).changed_sources(last) is None


def test_progress_counts_finished_nodes_and_names_those_that_warned_failed_or_errored():
    progress = DbtProgress()
    lines = [
        "14:02:11  Running with dbt=1.11.2",
        "14:02:12  1 of 5 START sql view model main.stg_invoices ......... [RUN]",
        "14:02:12  1 of 5 OK created sql view model main.stg_invoices .... [OK in 0.05s]",
        "14:02:12  2 of 5 PASS not_null_stg_invoices_id ................ [PASS in 0.02s]",
        "14:02:12  3 of 5 WARN 3 accepted_values_stg_invoices_status ... [WARN 3 in 0.02s]",
        "14:02:13  4 of 5 FAIL 1 unique_stg_invoices_id ...... [\x1b[31mFAIL 1\x1b[0m in 0.03s]",
        "14:02:13  5 of 5 ERROR creating sql table model main.int_orders  [ERROR in 0.10s]",
    ]
    counted = [progress.read(line) for line in lines]
    assert counted == [False, False, True, True, True, True, True]
    assert (progress.done, progress.total) == (5, 5)
    assert progress.statuses == {"ok": 1, "pass": 1, "warn": 1, "fail": 1, "error": 1}
    assert progress.flagged == [
        ("warn", "accepted_values_stg_invoices_status"),
        ("fail", "unique_stg_invoices_id"),
        ("error", "int_orders"),
    ]
