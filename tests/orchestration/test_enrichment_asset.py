"""An enrichment export as a Dagster asset: materializing `raw_crm/accounts` loads the file into
the warehouse; before the file exists the run loads nothing and says why."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance, materialize
from dagster_dlt import DagsterDltResource

from ledgerlink.settings import load_settings
from orchestration.assets.extract import enrichment_assets
from orchestration.resources import LedgerlinkSettings
from pipelines.enrichment import load_enrichments

HEADER = "Email,VAT Number,Account Owner,Segment,Industry,Annual Revenue\n"


def crm_asset(home: Path):
    [crm] = [e for e in load_enrichments() if e.name == "crm"]
    return enrichment_assets(crm, load_settings(ledgerlink_home=home))


def run(home: Path, instance: DagsterInstance | None = None):
    resources = {"dlt": DagsterDltResource(), "ledgerlink": LedgerlinkSettings(home=str(home))}
    return materialize([crm_asset(home)], resources=resources, instance=instance)


def test_materializing_the_export_loads_its_rows(tmp_path: Path):
    home = tmp_path / ".ledgerlink"
    (home / "enrichment").mkdir(parents=True)
    (home / "enrichment" / "crm_accounts.csv").write_text(
        HEADER + "ada@example.com,GB123,Grace,SMB,Software,120000\n"
        "bob@example.com,,Linus,Enterprise,Retail,\n"
    )

    result = run(home)

    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.asset_key == AssetKey(["raw_crm", "accounts"])
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select email, segment from raw_crm.accounts order by 1").fetchall()
    assert rows == [("ada@example.com", "SMB"), ("bob@example.com", "Enterprise")]


def test_before_the_export_exists_a_run_loads_nothing_and_says_why(tmp_path: Path):
    """The table is recorded as it stands (empty), so the assets after it are not skipped."""
    home = tmp_path / ".ledgerlink"
    home.mkdir()

    with DagsterInstance.ephemeral() as instance:
        result = run(home, instance)
        logged = [entry.user_message for entry in instance.all_logs(result.run_id)]

    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["rows_loaded"].value == 0
    warnings = [message for message in logged if "no file" in message]
    assert warnings and "crm_accounts.csv" in warnings[0], logged
