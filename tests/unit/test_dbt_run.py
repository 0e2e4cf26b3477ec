"""What a build leaves a push: which sync models must wait, and what a later pass rebuilds."""

from __future__ import annotations

from ledgerlink.dbt import DbtRun, downstream_of


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


def test_a_later_pass_rebuilds_what_the_loaded_tables_and_the_ledger_feed():
    selectors = downstream_of({"freshbooks": ["clients", "invoices"], "infor": []})
    assert selectors == [
        "source:freshbooks.clients+",
        "source:freshbooks.invoices+",
        "source:ops+",
    ]
