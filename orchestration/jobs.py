"""Jobs the schedules run: the whole sync, and the nightly reload of reference data."""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

from orchestration.assets.pools import WAREHOUSE_TAG

# Extract -> dbt build (tests as checks) -> push, every asset of the graph.
full_sync_job = define_asset_job(
    "full_sync",
    selection=AssetSelection.all(),
    description="Extract every source, build the dbt project, push every sync.",
    tags={WAREHOUSE_TAG: "write"},
)

# Reference data changes rarely and has no reliable change stamp: reload it whole, then rebuild
# what reads it (but push nothing: the next full sync does).
REFERENCE_TABLES = (
    AssetKey(["raw_infor", "chart_of_accounts"]),
    AssetKey(["raw_infor", "items"]),
    AssetKey(["raw_freshbooks", "items"]),
    AssetKey(["raw_freshbooks", "expense_categories"]),
    AssetKey(["raw_freshbooks", "taxes"]),
)
reference_refresh_job = define_asset_job(
    "reference_refresh",
    selection=AssetSelection.assets(*REFERENCE_TABLES).downstream() - AssetSelection.groups("push"),
    description="Reload chart of accounts, items, categories and taxes in full; rebuild models.",
    config={
        "ops": {
            "extract_infor": {"config": {"full_refresh": True}},
            "extract_freshbooks": {"config": {"full_refresh": True}},
        }
    },
    tags={WAREHOUSE_TAG: "write"},
)
