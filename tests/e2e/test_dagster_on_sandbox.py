"""The whole Dagster graph materialized in process on the sandbox: raw tables (dlt), dbt models
with their tests as checks, and every push, with the metadata operators read in the UI."""

from __future__ import annotations

import duckdb
import pytest
from conftest import reset_emulator
from dagster import AssetCheckSeverity, AssetKey, instance_for_test, materialize
from dagster_dlt import DagsterDltResource

from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from orchestration.assets.push import CHECK, push_key
from orchestration.definitions import all_assets
from orchestration.resources import LedgerlinkSettings, dbt_cli
from reverse_etl.definitions import load_syncs

# What tests/conftest.py gives every test's settings: the emulators answer as fast as they can.
FAST = {
    "freshbooks_rate_limit": "500",
    "infor_rate_limit": "500",
    "shop_rate_limit": "500",
    "http_backoff_base_seconds": "0.01",
    "http_backoff_cap_seconds": "0.2",
}


@pytest.fixture(scope="module")
def run(sandbox: dict, module_settings):
    for url in sandbox["urls"].values():
        reset_emulator(url)
    authorize_headless(module_settings, FreshBooksTokenManager(module_settings))
    resources = {
        "dlt": DagsterDltResource(),
        "dbt": dbt_cli(module_settings),
        "ledgerlink": LedgerlinkSettings(home=str(module_settings.home), overrides=FAST),
    }
    with instance_for_test() as instance:
        result = materialize(
            all_assets(module_settings),
            resources=resources,
            instance=instance,
            raise_on_error=False,
        )
        yield result


def materialization(result, key: AssetKey):
    (event,) = [m for m in result.get_asset_materialization_events() if m.asset_key == key]
    return event.materialization.metadata


def test_the_whole_graph_materializes(run):
    assert run.success, [e.message for e in run.all_events if e.is_failure][:3]
    keys = {m.asset_key.path[0] for m in run.get_asset_materialization_events()}
    assert {"raw_freshbooks", "raw_infor", "raw_shop", "staging", "marts", "sync", "push"} <= keys


def test_raw_tables_report_the_rows_dlt_loaded(run, module_settings):
    loaded = materialization(run, AssetKey(["raw_freshbooks", "invoices"]))["rows_loaded"].value
    with duckdb.connect(str(module_settings.warehouse), read_only=True) as con:
        (rows,) = con.execute("select count(*) from raw_freshbooks.invoices").fetchone()
    assert loaded == rows > 0


def test_dbt_tests_are_checks_and_planted_anomalies_warn(run):
    evaluations = {e.check_name: e for e in run.get_asset_check_evaluations()}
    assert len(evaluations) > 300
    failed_errors = [
        name
        for name, e in evaluations.items()
        if not e.passed and e.severity == AssetCheckSeverity.ERROR
    ]
    assert failed_errors == []
    outliers = evaluations["invoice_amount_outliers"]
    assert not outliers.passed and outliers.severity == AssetCheckSeverity.WARN


def test_pushes_carry_their_outcomes_and_agree_with_the_ledger(run, module_settings):
    created = {}
    for sync in load_syncs():
        metadata = materialization(run, push_key(sync.name))
        assert {
            "created",
            "updated",
            "failed",
            "dead_letters_open",
            "duration_s",
            "preview",
        } <= set(metadata)
        created[sync.name] = metadata["created"].value
    assert created["infor_gl_journals"] > 0 and created["freshbooks_clients"] > 0
    checks = {
        e.asset_key.path[-1]: e.passed
        for e in run.get_asset_check_evaluations()
        if e.check_name == CHECK
    }
    assert checks and all(checks.values()), checks
    with duckdb.connect(str(module_settings.warehouse), read_only=True) as con:
        (journals,) = con.execute(
            "select count(*) from ops.sync_records "
            "where entity = 'gl_journals' and status = 'created'"
        ).fetchone()
    assert journals == created["infor_gl_journals"]
