"""Each node's latest dbt result survives builds of other selections, and a reader never meets
half a file."""

from __future__ import annotations

import json

from ledgerlink.dbt import (
    WITHOUT_UNIT_TESTS,
    _keep_latest_results,
    _selects,
    latest_results,
    latest_results_path,
)
from ledgerlink.settings import load_settings


def result(node: str, status: str) -> dict:
    return {"unique_id": f"test.ledgerlink.{node}", "status": status}


def test_a_small_build_updates_its_nodes_and_keeps_the_others(tmp_path):
    settings = load_settings(ledgerlink_home=tmp_path)
    _keep_latest_results(settings, [result("a", "warn"), result("b", "pass")], whole=True)
    _keep_latest_results(settings, [result("b", "warn")], whole=False)
    assert sorted((r["unique_id"], r["status"]) for r in latest_results(settings)) == [
        ("test.ledgerlink.a", "warn"),
        ("test.ledgerlink.b", "warn"),
    ]
    # a whole build starts afresh: a node it no longer has is gone
    _keep_latest_results(settings, [result("b", "pass")], whole=True)
    assert [r["unique_id"] for r in latest_results(settings)] == ["test.ledgerlink.b"]
    # written by a rename: no partial file is left beside it
    assert [p.name for p in latest_results_path(settings).parent.iterdir()] == [
        "latest_results.json"
    ]
    json.loads(latest_results_path(settings).read_text())


def test_no_results_yet_reads_as_none(tmp_path):
    assert latest_results(load_settings(ledgerlink_home=tmp_path)) == []


def test_a_build_without_unit_tests_is_still_whole_but_a_selected_one_is_not():
    assert not _selects(("build", *WITHOUT_UNIT_TESTS))
    assert _selects(("build", *WITHOUT_UNIT_TESTS, "--select", "fct_invoices+"))
    assert _selects(("build", *WITHOUT_UNIT_TESTS, "--exclude-resource-type", "test"))
