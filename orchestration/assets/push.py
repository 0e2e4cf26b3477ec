"""One asset per reverse-ETL sync, downstream of its dbt sync model (and of the syncs whose
records it needs), with the outcome counts as materialization metadata.

A push that leaves failed records or dead letters still materializes (the ledger holds what
it did), and its `all_records_written` check fails, which the alert sensors report.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from ledgerlink.settings import Settings
from orchestration.assets.pools import WAREHOUSE_POOL
from orchestration.resources import LedgerlinkSettings
from reverse_etl.definitions import SyncDefinition
from reverse_etl.push import run_push
from reverse_etl.runner import SyncReport, select_syncs

STATUSES = (
    "created",
    "updated",
    "unchanged",
    "waiting",
    "failed",
    "dead_lettered",
    "held_for_review",  # the pre-posting gate: waits for `ledgerlink review`
)
CHECK = "all_records_written"


def push_key(sync_name: str) -> AssetKey:
    return AssetKey(["push", sync_name])


def model_key(dbt_models: AssetsDefinition, model: str) -> AssetKey:
    """The dbt asset of a sync model (keyed by schema and name, `sync/sync_infor__customers`)."""
    keys = [key for key in dbt_models.keys if key.path[-1] == model]
    if len(keys) != 1:
        raise ValueError(f"sync model {model} is not one dbt asset (found {keys})")
    return keys[0]


def outcome_metadata(report: SyncReport) -> dict[str, object]:
    metadata: dict[str, object] = {status: report.counts[status] for status in STATUSES}
    metadata["dead_letters_open"] = report.dead_letters_open
    metadata["duration_s"] = round(report.seconds, 2)
    rows = [f"| {k} | {v} |" for k, v in sorted(report.counts.items())]
    errors = [f"- {e}" for e in report.errors[:10]]
    metadata["preview"] = MetadataValue.md(
        "\n".join(["| outcome | records |", "| --- | ---: |", *rows, "", *errors])
    )
    return metadata


def push_spec(sync: SyncDefinition, dbt_models: AssetsDefinition) -> AssetSpec:
    """Downstream of its sync model, and of the pushes that create the records it refers to;
    its metadata is the sync's declaration in reverse_etl/syncs.yml."""
    return AssetSpec(
        push_key(sync.name),
        deps=[model_key(dbt_models, sync.model), *(push_key(p) for p in sync.depends_on)],
        group_name="push",
        kinds={"python", sync.target},
        description=f"Push {sync.model} to {sync.target} {sync.object} ({sync.mode}).",
        metadata={
            "match_key": sync.match_key,
            "mode": sync.mode,
            "rate": sync.rate or "the connector's rate limit",
            "concurrency": sync.concurrency,
            "max_attempts": sync.max_attempts,
            "payload": ", ".join(sync.columns),
        },
    )


def push_asset(sync: SyncDefinition, dbt_models: AssetsDefinition) -> AssetsDefinition:
    key = push_key(sync.name)

    @multi_asset(
        name=f"push_{sync.name}",
        specs=[push_spec(sync, dbt_models)],
        check_specs=[
            AssetCheckSpec(
                CHECK,
                asset=key,
                description="Every planned record was written (no failures, no dead letters).",
            )
        ],
        pool=WAREHOUSE_POOL,
    )
    def _push(
        context: AssetExecutionContext, ledgerlink: LedgerlinkSettings
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        settings = ledgerlink.load()
        report = run_push(settings, [sync.name], dry_run=False, command=f"dagster {context.run_id}")
        (sync_report,) = report.syncs
        yield MaterializeResult(asset_key=key, metadata=outcome_metadata(sync_report))
        problems = sync_report.counts["failed"] + sync_report.counts["dead_lettered"]
        yield AssetCheckResult(
            asset_key=key,
            check_name=CHECK,
            passed=problems == 0,
            severity=AssetCheckSeverity.ERROR,
            description="; ".join(sync_report.errors[:3]) or None,
            metadata={
                "failed": sync_report.counts["failed"],
                "dead_lettered": sync_report.counts["dead_lettered"],
                "dead_letters_open": sync_report.dead_letters_open,
            },
        )

    return _push


def push_assets_for(settings: Settings, dbt_models: AssetsDefinition) -> list[AssetsDefinition]:
    """One asset per sync whose systems are connected."""
    return [push_asset(sync, dbt_models) for sync in select_syncs(None, settings.systems)]
