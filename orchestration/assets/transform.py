"""dbt models, seeds and snapshots as assets; dbt tests as their asset checks.

`dbt build` runs a model's tests right after it and skips what depends on a model whose
error-severity test failed. A skipped model yields no materialization, so Dagster skips the
pushes after it too: a failing check blocks exactly the pushes downstream of it, while the
others go on. Warn-severity tests (anomalies, drift) are failed WARN checks and block nothing.
A model that fails to build fails the step.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import AssetCheckSpec, AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from ledgerlink.dbt import (
    PROJECT_DIR,
    WITHOUT_UNIT_TESTS,
    DbtFailed,
    dbt_environment,
    ensure_source_tables,
    prepare_warehouse,
    vars_argument,
)
from ledgerlink.settings import Settings
from ledgerlink.warehouse import writer_lock
from orchestration.assets.pools import WAREHOUSE_POOL
from orchestration.dbt_project import dbt_project_for
from orchestration.resources import LedgerlinkSettings

# Top-level model folders become groups, so the graph reads raw -> staging -> marts -> sync.
RESOURCE_GROUPS = {"seed": "mappings", "snapshot": "audit"}
# One target folder for every run (they take turns): dbt's partial parse then reuses the last
# run's parse instead of parsing the whole project again (seconds on every run).
DAGSTER_TARGET = PROJECT_DIR / "target" / "dagster"


class LedgerlinkDbtTranslator(DagsterDbtTranslator):
    """Sources are the dlt assets (`raw_shop/orders` for `orders` and `orders__line_items`);
    models are grouped by layer."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        kind = props["resource_type"]
        if kind == "source":
            # A child table (`invoices__lines`) comes from its parent's dlt resource.
            resource = props["name"].split("__", 1)[0]
            return spec.replace_attributes(
                key=AssetKey([props["schema"], resource]), group_name=props["schema"]
            )
        group = RESOURCE_GROUPS.get(kind) or props["fqn"][1]
        return spec.replace_attributes(group_name=group)

    def get_asset_check_spec(
        self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=describe_test(self.get_resource_props(manifest, unique_id)),
            additional_deps=spec.additional_deps,
            metadata=spec.metadata,
            blocking=spec.blocking,
        )


# What a generic test checks, for tests whose YAML gives no description of their own.
GENERIC_TESTS = {
    "not_null": "{column} is never null",
    "unique": "{column} is unique",
    "accepted_values": "{column} is one of {values}",
    "relationships": "every {column} is found in {to}.{field}",
}

SEVERITY_NOTES = {
    "warn": "Warn severity: the rows it finds are for a person to look at; it blocks nothing.",
    "error": "Error severity: a failure holds what is built from this model, and its pushes.",
}


def describe_test(props: Mapping[str, Any]) -> str:
    """A check's description in Dagster: the test's own dbt description, or what its generic
    test checks; then what a failure does, which its severity decides."""
    generic = props.get("test_metadata") or {}
    arguments = {k: v for k, v in (generic.get("kwargs") or {}).items() if v is not None}
    column = props.get("column_name") or arguments.get("column_name")
    text = (props.get("description") or "").strip()
    if not text and generic.get("name") in GENERIC_TESTS:
        try:
            text = GENERIC_TESTS[generic["name"]].format(
                column=column, **{k: str(v) for k, v in arguments.items() if k != "column_name"}
            )
        except KeyError:
            text = ""
    if not text:
        on = f" on {column}" if column else ""
        text = f"{generic.get('name') or props['name']}{on}"
    severity = str(props.get("config", {}).get("severity") or "error").lower()
    return f"{text}\n\n{SEVERITY_NOTES.get(severity, SEVERITY_NOTES['error'])}"


TRANSLATOR = LedgerlinkDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)
)


@contextmanager
def dbt_settings(settings: Settings) -> Iterator[None]:
    """The warehouse path (and home) the dbt profile reads, for the dbt process this starts."""
    wanted = {k: v for k, v in dbt_environment(settings).items() if k.startswith("LEDGERLINK_")}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_models_for(settings: Settings) -> AssetsDefinition:
    """Every model, seed and snapshot the settings' systems have, with their tests as checks."""
    project = dbt_project_for(settings)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=TRANSLATOR,
        name="dbt_build",
        pool=WAREHOUSE_POOL,
    )
    def dbt_models(
        context: AssetExecutionContext, dbt: DbtCliResource, ledgerlink: LedgerlinkSettings
    ) -> Iterator[Any]:
        run_settings = ledgerlink.load()
        with writer_lock(run_settings, f"dbt build (dagster run {context.run_id[:8]})"):
            prepare_warehouse(run_settings)  # the ledger's tables are dbt sources
            ensure_source_tables(run_settings)
            with dbt_settings(run_settings):
                invocation = dbt.cli(
                    ["build", *WITHOUT_UNIT_TESTS, *vars_argument(run_settings)],
                    context=context,
                    raise_on_error=False,
                    target_path=DAGSTER_TARGET,
                )
                yield from invocation.stream()
        results = invocation.get_artifact("run_results.json")["results"]
        broken = [
            r["unique_id"]
            for r in results
            if r["status"] == "error" and not r["unique_id"].startswith(("test.", "unit_test."))
        ]
        if broken:
            raise DbtFailed(
                f"dbt build failed to build {len(broken)} nodes: {', '.join(broken[:5])}"
            )

    return dbt_models
