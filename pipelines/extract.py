"""The extract entry point: run one dlt pipeline per source into the warehouse's raw schemas."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.runtime.collector import LogCollector

from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from ledgerlink.warehouse import writer_lock

SourceFactory = Callable[..., Any]  # (settings, client_factory=None) -> dlt source


def _freshbooks(settings: Settings, client_factory: Any = None) -> Any:
    from pipelines.freshbooks import make_source

    return make_source(settings, client_factory)


def _infor(settings: Settings, client_factory: Any = None) -> Any:
    from pipelines.infor import make_source

    return make_source(settings, client_factory)


def _shop(settings: Settings, client_factory: Any = None) -> Any:
    from pipelines.shop import make_source

    return make_source(settings, client_factory)


SOURCES: dict[str, SourceFactory] = {"freshbooks": _freshbooks, "infor": _infor, "shop": _shop}


@dataclass
class ExtractResult:
    source: str
    dataset: str
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    load_id: str | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class ExtractFailed(LedgerlinkError):
    """A source could not be loaded; the message says which and why."""


def pipeline_for(settings: Settings, source: str, progress: Any = None) -> dlt.Pipeline:
    pipeline = dlt.pipeline(
        pipeline_name=f"ledgerlink_{source}",
        pipelines_dir=str(settings.home / "dlt"),
        destination=dlt.destinations.duckdb(str(settings.warehouse)),
        dataset_name=f"raw_{source}",
        progress=progress
        or LogCollector(log_period=5, logger="dlt_logger", dump_system_stats=False),
    )
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

    Each source has its own pipeline and state, so a full refresh of one leaves the others'
    cursors alone.
    """
    results = []
    for name in sources or list(SOURCES):
        if name not in SOURCES:
            raise ExtractFailed(f"unknown source {name!r}; choose from {', '.join(SOURCES)}")
        started = time.perf_counter()
        pipeline = pipeline_for(settings, name, progress)
        with writer_lock(settings, f"extract {name}"):
            try:
                info = pipeline.run(
                    SOURCES[name](settings),
                    loader_file_format="parquet",
                    refresh="drop_sources" if full_refresh else None,
                )
            except Exception as exc:  # dlt wraps every step failure in its own exception types
                raise ExtractFailed(f"extract {name} failed: {root_cause(exc)}") from exc
        rows = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
        results.append(
            ExtractResult(
                source=name,
                dataset=pipeline.dataset_name,
                seconds=time.perf_counter() - started,
                rows={t: n for t, n in rows.items() if not t.startswith("_dlt")},
                load_id=info.loads_ids[-1] if info.loads_ids else None,
            )
        )
    return results


def root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None or exc.__context__ is not None:
        inner = exc.__cause__ or exc.__context__
        if isinstance(inner, LedgerlinkError):
            return str(inner)
        exc = inner  # type: ignore[assignment]
    return f"{type(exc).__name__}: {exc}"
