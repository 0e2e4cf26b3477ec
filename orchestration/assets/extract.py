"""Raw tables: one dlt multi-asset per source, one asset per dlt resource.

Assets are keyed `[dataset, resource]` (`raw_freshbooks/invoices`), which is also how the dbt
sources name them, so the lineage runs from each raw table into staging. Every run builds a
fresh source and pipeline from the run's settings (a dlt source object runs once).
"""

import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Config,
    MaterializeResult,
)
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ledgerlink.settings import Settings
from ledgerlink.warehouse import writer_lock
from orchestration.assets.pools import WAREHOUSE_POOL
from orchestration.resources import LedgerlinkSettings
from pipelines.enrichment import Enrichment, load_enrichments, make_source
from pipelines.entities import PARENTS, enabled_entities
from pipelines.extract import SOURCES, ExtractFailed, pipeline_for, root_cause
from pipelines.skipping import Skipped


class ExtractConfig(Config):
    """`full_refresh` drops the selected resources' tables and cursors and reloads them."""

    full_refresh: bool = False


class RawTableTranslator(DagsterDltTranslator):
    """`raw_<source>/<resource>`, grouped by source, with no upstream stand-in assets."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        dataset = data.pipeline.dataset_name if data.pipeline else data.resource.source_name
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=AssetKey([dataset, data.resource.name]), deps=[], group_name=dataset
            )
        )


class NotConnected:
    """Stands in for an API client while a dlt source only describes the assets: nothing is
    called at definition time, so the code location loads without credentials or network."""

    def __getattr__(self, name: str) -> "NotConnected":
        return self

    def __call__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("this dlt source only describes assets; runs build a connected one")


@cache
def _describing_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="ledgerlink-dlt-described-"))


def describing_pipeline(settings: Settings, source: str) -> Any:
    """The pipeline that only describes a source's assets, its dlt state in a folder of this
    process: loading the code location (every Dagster process and test worker does) must not
    write the deployment's dlt state, which an extract may be saving at that moment."""
    return pipeline_for(settings, source, working_dir=_describing_dir())


def extract_assets(source: str, described_with: Settings) -> AssetsDefinition:
    """The raw tables of one source (its enabled entities); the source and pipeline given here
    only describe the assets: runs build their own from the run's settings."""

    @dlt_assets(
        dlt_source=SOURCES[source](described_with, NotConnected),
        dlt_pipeline=describing_pipeline(described_with, source),
        name=f"extract_{source}",
        dagster_dlt_translator=RawTableTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def _extract(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        ledgerlink: LedgerlinkSettings,
        config: ExtractConfig,
    ) -> Iterator[Any]:
        settings = ledgerlink.load()
        skipped = Skipped(source)
        with writer_lock(
            settings, f"extract {source} (dagster run {context.run_id[:8]})", publish=False
        ):
            try:
                yield from dlt.run(
                    context=context,
                    dlt_source=SOURCES[source](settings, skipped=skipped),
                    dlt_pipeline=pipeline_for(settings, source),
                    loader_file_format="parquet",
                    refresh="drop_resources" if config.full_refresh else None,
                )
            except Exception as exc:  # dlt wraps every step failure in its own types
                raise ExtractFailed(f"extract {source} failed: {root_cause(exc)}") from exc
        skipped.skip_dependents(PARENTS[source], enabled_entities(settings, source))
        for entity, reason in skipped.reasons.items():
            # The account does not serve it; the run goes on and the next one asks again.
            context.log.warning(f"raw_{source}/{entity} skipped: {reason}")

    return _extract


def enrichment_assets(enrichment: Enrichment, described_with: Settings) -> AssetsDefinition:
    """An enrichment export (enrichment.yml) as its raw table, `raw_<name>/<table>`: loaded
    (replaced) from the file when it is there. Before the file exists a run loads nothing and
    records the table as it stands, empty (dbt creates it): the assets after it still run."""

    @dlt_assets(
        dlt_source=make_source(enrichment, enrichment.path(described_with)),
        dlt_pipeline=describing_pipeline(described_with, enrichment.name),
        name=f"extract_{enrichment.name}",
        dagster_dlt_translator=RawTableTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def _load(
        context: AssetExecutionContext, dlt: DagsterDltResource, ledgerlink: LedgerlinkSettings
    ) -> Iterator[Any]:
        settings = ledgerlink.load()
        path = enrichment.path(settings)
        if not path.is_file():
            context.log.warning(f"enrichment {enrichment.name}: no file {path} yet, nothing loaded")
            yield MaterializeResult(
                asset_key=AssetKey([enrichment.dataset, enrichment.table]),
                metadata={"rows_loaded": 0, "file": f"{path} (not there yet)"},
            )
            return
        with writer_lock(
            settings, f"extract {enrichment.name} (dagster run {context.run_id[:8]})", publish=False
        ):
            try:
                yield from dlt.run(
                    context=context,
                    dlt_source=make_source(enrichment, path),
                    dlt_pipeline=pipeline_for(settings, enrichment.name),
                    loader_file_format="parquet",
                )
            except Exception as exc:  # dlt wraps every step failure in its own types
                raise ExtractFailed(f"extract {enrichment.name} failed: {root_cause(exc)}") from exc

    return _load


def extract_assets_for(settings: Settings) -> list[AssetsDefinition]:
    """The systems' raw tables, then the declared enrichment exports'."""
    return [
        *(extract_assets(source, settings) for source in settings.systems),
        *(enrichment_assets(enrichment, settings) for enrichment in load_enrichments()),
    ]
