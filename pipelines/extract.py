"""The extract entry point: run one dlt pipeline per source into the warehouse's raw schemas."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.common.runtime.collector import LogCollector

from ledgerlink.errors import (
    ConfigurationError,
    LedgerlinkError,
    ReauthorizationRequired,
    exception_chain,
    find_in_chain,
)
from ledgerlink.log import get_logger
from ledgerlink.settings import Settings
from ledgerlink.warehouse import writer_lock
from pipelines.entities import PARENTS, check_disabled_entities, enabled_entities
from pipelines.progress import RequestCounting, ResponseHook
from pipelines.skipping import Skipped

log = get_logger("ledgerlink.extract")

# (settings, client_factory=None, skipped=None, on_request=None) -> dlt source
SourceFactory = Callable[..., Any]


def _freshbooks(
    settings: Settings,
    client_factory: Any = None,
    skipped: Skipped | None = None,
    on_request: ResponseHook | None = None,
) -> Any:
    from pipelines.freshbooks import make_source

    entities = enabled_entities(settings, "freshbooks")
    return make_source(
        settings, client_factory, entities=entities, skipped=skipped, on_request=on_request
    )


def _infor(
    settings: Settings,
    client_factory: Any = None,
    skipped: Skipped | None = None,
    on_request: ResponseHook | None = None,
) -> Any:
    from pipelines.infor import make_source

    entities = enabled_entities(settings, "infor")
    return make_source(
        settings, client_factory, entities=entities, skipped=skipped, on_request=on_request
    )


def _shop(
    settings: Settings,
    client_factory: Any = None,
    skipped: Skipped | None = None,
    on_request: ResponseHook | None = None,
) -> Any:
    from pipelines.shop import make_source

    entities = enabled_entities(settings, "shop")
    return make_source(
        settings, client_factory, entities=entities, skipped=skipped, on_request=on_request
    )


# Each builds a fresh dlt source of the entities LEDGERLINK_DISABLED_ENTITIES leaves on.
SOURCES: dict[str, SourceFactory] = {"freshbooks": _freshbooks, "infor": _infor, "shop": _shop}


@dataclass
class ExtractResult:
    """One source's load: rows per table, and the entities the account did not serve
    (`skipped`: entity -> the API's reason), which the next run asks for again."""

    source: str
    dataset: str
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    load_id: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def partial(self) -> bool:
        """Some entities were skipped; the others loaded."""
        return bool(self.skipped)


class ExtractFailed(LedgerlinkError):
    """A source could not be loaded; the message says which and why."""


def sources_to_extract(settings: Settings, requested: list[str] | None = None) -> list[str]:
    """The sources a run loads: those asked for, else every system this deployment connects.

    Asking for a system that is off is a setting to change, said in one line.
    """
    check_disabled_entities(settings)
    if not requested:
        return [name for name in settings.systems if name in SOURCES]
    for name in requested:
        if name not in SOURCES:
            raise ExtractFailed(f"unknown source {name!r}; choose from {', '.join(SOURCES)}")
        if not settings.system_enabled(name):
            raise ConfigurationError(_off_reason(settings, name))
    return list(dict.fromkeys(requested))


def _off_reason(settings: Settings, name: str) -> str:
    reason = settings.system_choices()[name].reason
    if settings.systems_setting.strip():
        return (
            f"{name} is off: {reason} leaves it out; add {name} to LEDGERLINK_SYSTEMS to extract it"
        )
    return (
        f"{name} is off ({reason}): fill SHOP_API_URL and SHOP_ACCESS_TOKEN to extract it, "
        f"or leave out --source {name}"
    )


def pipeline_for(
    settings: Settings, source: str, progress: Any = None, *, working_dir: Path | None = None
) -> dlt.Pipeline:
    """The dlt pipeline of `source`; its state lives in `<home>/dlt` (or `working_dir`)."""
    pipeline = dlt.pipeline(
        pipeline_name=f"ledgerlink_{source}",
        pipelines_dir=str(working_dir or settings.home / "dlt"),
        destination=dlt.destinations.duckdb(str(settings.warehouse)),
        dataset_name=f"raw_{source}",
        progress=progress
        or LogCollector(log_period=5, logger="dlt_logger", dump_system_stats=False),
    )
    # Our commands stop on Ctrl-C and SIGTERM themselves (one line, exit 130). dlt's own handlers
    # hold a signal until normalize or load ends, and lose one that comes at its very end.
    pipeline.config.runtime.intercept_signals = False
    # dlt warns about every all-null column it cannot type; our summary says what matters.
    logging.getLogger("dlt").setLevel(logging.ERROR)
    return pipeline


def extract(
    settings: Settings,
    sources: list[str] | None = None,
    *,
    full_refresh: bool = False,
    progress: Any = None,
) -> list[ExtractResult]:
    """Load each source incrementally (or rebuild it with `full_refresh`), one after another.

    `sources` defaults to the systems this deployment connects (`settings.systems`). Each
    source has its own pipeline and state, so a full refresh of one leaves the others'
    cursors alone. An entity the account does not serve is skipped (`ExtractResult.skipped`);
    a source that serves none of its entities fails.

    With a `progress` collector, each source's step also counts the HTTP requests its
    connector makes (`Requests`); without one, the clients are left as they are.
    """
    results = []
    for name in sources_to_extract(settings, sources):
        started = time.perf_counter()
        counting = RequestCounting(progress) if progress is not None else None
        pipeline = pipeline_for(settings, name, counting)
        skipped = Skipped(name)
        with writer_lock(settings, f"extract {name}", publish=False):
            try:
                on_request = counting.on_response if counting is not None else None
                source = SOURCES[name](settings, skipped=skipped, on_request=on_request)
                info = pipeline.run(
                    source,
                    loader_file_format="parquet",
                    refresh="drop_sources" if full_refresh else None,
                )
            except Exception as exc:  # dlt wraps every step failure in its own exception types
                failure = extract_failure(name, exc)
                if failure in exception_chain(exc):
                    raise failure from None  # ours, unwrapped; its traceback still shows where
                raise failure from exc
        enabled = enabled_entities(settings, name)
        skipped.skip_dependents(PARENTS[name], enabled)
        if skipped and set(enabled) <= set(skipped.reasons):
            first = next(iter(skipped.reasons.values()))
            raise ExtractFailed(
                f"extract {name} failed: the account serves none of its entities ({first}); "
                "check the credentials' permissions"
            )
        rows = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
        results.append(
            ExtractResult(
                source=name,
                dataset=pipeline.dataset_name,
                seconds=time.perf_counter() - started,
                rows={t: n for t, n in rows.items() if not t.startswith("_dlt")},
                load_id=info.loads_ids[-1] if info.loads_ids else None,
                skipped=dict(skipped.reasons),
            )
        )
    if not sources:  # a whole extract also loads the enrichment sources (enrichment.yml)
        results += extract_enrichments(settings, progress)
    return results


def extract_enrichments(settings: Settings, progress: Any = None) -> list[ExtractResult]:
    """Load each declared enrichment export whose file exists into `raw_<name>` (replaced)."""
    from pipelines.enrichment import load_enrichments, make_source

    results = []
    for enrichment in load_enrichments():
        if enrichment.name in SOURCES:
            raise ConfigurationError(
                f"enrichment {enrichment.name!r} has the name of a system: give it another"
            )
        path = enrichment.path(settings)
        if not path.is_file():
            log.info(f"enrichment {enrichment.name}: no file {path} yet, nothing loaded")
            continue
        started = time.perf_counter()
        pipeline = pipeline_for(settings, enrichment.name, progress)
        with writer_lock(settings, f"extract {enrichment.name}", publish=False):
            try:
                info = pipeline.run(make_source(enrichment, path), loader_file_format="parquet")
            except Exception as exc:
                failure = extract_failure(enrichment.name, exc)
                if failure in exception_chain(exc):
                    raise failure from None
                raise failure from exc
        rows = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
        results.append(
            ExtractResult(
                source=enrichment.name,
                dataset=enrichment.dataset,
                seconds=time.perf_counter() - started,
                rows={t: n for t, n in rows.items() if not t.startswith("_dlt")},
                load_id=info.loads_ids[-1] if info.loads_ids else None,
            )
        )
    return results


def extract_failure(source: str, exc: Exception) -> BaseException:
    """What a failed load raises: a setting to fix or a grant to give again as the connector
    worded it, Ctrl-C as Ctrl-C (dlt turns it into a step failure), anything else (an API's
    refusal included) as `ExtractFailed`."""
    interrupt = find_in_chain(exc, KeyboardInterrupt)
    if interrupt is not None:
        return interrupt
    ours = find_in_chain(exc, LedgerlinkError)
    if isinstance(ours, ConfigurationError | ReauthorizationRequired):
        return ours  # already one line naming the setting or file and the fix
    return ExtractFailed(f"extract {source} failed: {root_cause(exc)}")


def root_cause(exc: BaseException) -> str:
    """One line for what made `exc` happen: our own error's message when one is in the chain,
    else the innermost exception. A context a raise suppressed (`from None`) is not followed:
    it is a stale exception that was being handled, not the cause."""
    chain = list(exception_chain(exc))
    ours = next((e for e in chain if isinstance(e, LedgerlinkError)), None)
    if ours is not None:
        return str(ours)
    innermost = chain[-1]
    return f"{type(innermost).__name__}: {innermost}"
