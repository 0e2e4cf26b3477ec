"""Jobs the schedules run: the whole sync, and the nightly reload of reference data."""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

from ledgerlink.settings import Settings
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
    ("infor", "chart_of_accounts"),
    ("infor", "items"),
    ("freshbooks", "items"),
    ("freshbooks", "expense_categories"),
    ("freshbooks", "taxes"),
)


def reference_refresh_job(settings: Settings):
    """The reference tables this deployment loads (switched-off entities have no asset)."""
    tables = [(s, t) for s, t in REFERENCE_TABLES if settings.entity_enabled(s, t)]
    keys = [AssetKey([f"raw_{system}", table]) for system, table in tables]
    return define_asset_job(
        "reference_refresh",
        selection=AssetSelection.assets(*keys).downstream() - AssetSelection.groups("push"),
        description="Reload chart of accounts, items, categories and taxes; rebuild models.",
        config={
            "ops": {
                f"extract_{system}": {"config": {"full_refresh": True}}
                for system in sorted({system for system, _ in tables})
            }
        },
        tags={WAREHOUSE_TAG: "write"},
    )
