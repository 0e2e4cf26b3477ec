"""The code location: it loads, holds every asset and check, and its graph has no cycles."""

from __future__ import annotations

import json

from dagster import AssetKey, AssetsDefinition
from dagster_dbt import DbtCliResource

from ledgerlink.dbt import manifest_dir
from ledgerlink.settings import load_settings
from orchestration.assets.push import CHECK, push_key
from orchestration.definitions import build_defs
from orchestration.resources import dbt_cli
from pipelines.extract import SOURCES
from reverse_etl.definitions import load_syncs

EVERY_SYSTEM = load_settings(systems_setting="freshbooks,infor,shop")
defs = build_defs(EVERY_SYSTEM)


def graph(definitions=defs):
    return definitions.resolve_asset_graph()


def manifest() -> dict:
    return json.loads((manifest_dir(EVERY_SYSTEM) / "manifest.json").read_text())


def test_every_dbt_node_is_an_asset_and_every_test_a_check():
    nodes = manifest()["nodes"].values()
    keys = {key.path[-1] for key in graph().get_all_asset_keys()}
    built = {
        n["name"]
        for n in nodes
        if n["resource_type"] in ("model", "seed", "snapshot")
        and n["config"]["materialized"] != "ephemeral"  # inlined into the models that use them
    }
    assert built and built <= keys, sorted(built - keys)
    tests = {n["name"] for n in nodes if n["resource_type"] == "test"}
    checks = {check.name for check in graph().asset_check_keys}
    assert tests <= checks, sorted(tests - checks)[:10]


def test_raw_tables_feed_staging_and_pushes_follow_their_sync_models():
    g = graph()
    first_tables = {"freshbooks": "clients", "infor": "customers", "shop": "orders"}
    assert set(first_tables) == set(SOURCES)
    for source, table in first_tables.items():
        assert g.get(AssetKey([f"raw_{source}", table])).is_materializable
    lines = g.get(AssetKey(["staging", "stg_freshbooks__invoice_lines"]))
    assert AssetKey(["raw_freshbooks", "invoices"]) in lines.parent_keys
    for sync in load_syncs():
        push = g.get(push_key(sync.name))
        assert AssetKey(["sync", sync.model]) in push.parent_keys
        assert {push_key(p) for p in sync.depends_on} <= push.parent_keys
        assert any(c.name == CHECK for c in g.asset_check_keys if c.asset_key == push.key)


def test_the_graph_has_no_cycles():
    g = graph()
    state: dict[AssetKey, str] = {}

    def visit(key: AssetKey, path: list[AssetKey]) -> None:
        if state.get(key) == "done":
            return
        assert state.get(key) != "open", f"cycle: {[k.to_user_string() for k in path]}"
        state[key] = "open"
        for parent in g.get(key).parent_keys:
            visit(parent, [*path, parent])
        state[key] = "done"

    for key in g.get_all_asset_keys():
        visit(key, [key])
    assert len(state) == len(g.get_all_asset_keys())


def test_layers_are_groups_and_writers_share_the_warehouse_pool():
    g = graph()
    groups = {g.get(k).group_name for k in g.get_all_asset_keys() if g.get(k).is_materializable}
    assert {"raw_freshbooks", "raw_infor", "raw_shop", "staging", "intermediate", "marts"} <= groups
    assert {"sync", "push", "mappings"} <= groups
    pools = {
        node.pool
        for assets_def in defs.assets or []
        for node in [assets_def.node_def]
        if getattr(assets_def, "node_def", None) is not None
    }
    assert pools == {"ledgerlink_warehouse"}


def test_schedules_jobs_and_sensors_are_defined():
    repo = defs.get_repository_def()
    assert {"full_sync", "reference_refresh"} <= set(repo.job_names)
    schedules = {s.name: s for s in repo.schedule_defs}
    assert schedules["full_sync_schedule"].cron_schedule == "*/15 * * * *"
    assert schedules["reference_refresh_schedule"].cron_schedule == "0 2 * * *"
    sensors = {s.name for s in repo.sensor_defs}
    assert {"webhook_inbox", "infor_changes", "alert_on_run_failure"} <= sensors
    reference = repo.get_job("reference_refresh")
    selected = {k.path[-1] for k in reference.asset_layer.selected_asset_keys}
    assert {"chart_of_accounts", "items", "stg_infor__chart_of_accounts"} <= selected
    assert not any(k.path[0] == "push" for k in reference.asset_layer.selected_asset_keys)


def test_the_dbt_resource_knows_the_version_its_executable_reports():
    """The resource skips dagster-dbt's `dbt --version` process; it must agree with it."""
    ours = dbt_cli(EVERY_SYSTEM)
    asked = DbtCliResource(project_dir=ours.project_dir, dbt_executable=ours.dbt_executable)
    assert ours._cli_version == asked._cli_version


def test_a_system_or_entity_that_is_off_has_no_assets():
    settings = load_settings(
        systems_setting="freshbooks,infor",
        disabled_entities_setting="freshbooks.credit_notes,infor.suppliers",
    )
    g = graph(build_defs(settings))
    keys = {key.to_user_string() for key in g.get_all_asset_keys()}
    assert not [k for k in keys if "shop" in k]
    assert "push/freshbooks_invoices" not in keys  # it plans shop orders
    assert {"push/freshbooks_clients", "push/infor_customers"} <= keys
    # nothing loads a switched-off entity: its staging model reads the empty table created
    # before dbt runs, which the graph shows as an upstream table no asset materializes
    for table in (["raw_freshbooks", "credit_notes"], ["raw_infor", "suppliers"]):
        assert not (g.has(AssetKey(table)) and g.get(AssetKey(table)).is_materializable)
    assert "staging/stg_freshbooks__credit_notes" in keys


def test_checks_say_what_they_check_and_what_a_failure_does():
    specs = {
        spec.name: spec
        for assets in defs.assets or []
        if isinstance(assets, AssetsDefinition)
        for spec in assets.check_specs
    }
    outliers = specs["invoice_amount_outliers"].description
    assert outliers.startswith("An invoice amount far outside the customer's own history")
    assert "Warn severity" in outliers and "blocks nothing" in outliers
    not_null = specs["not_null_stg_freshbooks__clients_client_id"].description
    assert not_null.startswith("client_id is never null") and "Error severity" in not_null
    assert all(spec.description for spec in specs.values())


def test_an_enrichment_export_is_a_raw_asset_that_feeds_its_staging_model():
    g = graph()
    accounts = g.get(AssetKey(["raw_crm", "accounts"]))
    assert accounts.is_materializable and accounts.group_name == "raw_crm"
    staging = g.get(AssetKey(["staging", "stg_crm__accounts"]))
    assert accounts.key in staging.parent_keys
