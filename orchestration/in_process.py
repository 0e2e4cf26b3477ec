"""Materializing the code location in this process, recorded in the project's Dagster instance.

The instance is the one `make dev` opens (`<home>/dagster`, configured by the project's
`dagster.yaml`), so every materialization, check evaluation and run shows in the UI afterwards.
After a first build, a run selects what changed, as the webhook sensor does
(`orchestration.sensors.affected_assets`): the raw tables the last pushes wrote to
(`RunOutcome.tables_written`) and the path from them to the pushes (`path_to_pushes`).
dagster-dlt then loads only those tables and dagster-dbt builds only those models with their
tests, so such a pass costs a fraction of the first build.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy
import yaml
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    build_sensor_context,
)

from ledgerlink.settings import Settings
from orchestration.assets.pools import WAREHOUSE_TAG
from orchestration.assets.push import STATUSES
from orchestration.definitions import build_defs
from orchestration.resources import LedgerlinkSettings
from orchestration.sensors import affected_assets
from pipelines.entities import PARENTS
from reverse_etl.runner import select_syncs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PUSHES = AssetSelection.groups("push")
# What each push writes in its target, as the raw table the next extract reads it back into.
WRITES_TO = {
    ("infor", "CRS610MI"): ("raw_infor", "customers"),
    ("infor", "OIS100MI"): ("raw_infor", "customer_orders"),
    ("infor", "ABS100MI"): ("raw_infor", "ar_open_items", "customer_invoices"),
    ("infor", "GLS840MI"): ("raw_infor", "gl_voucher_lines"),
    ("freshbooks", "clients"): ("raw_freshbooks", "clients"),
    ("freshbooks", "invoices"): ("raw_freshbooks", "invoices"),
}
# Runs print nothing here: dbt's and dlt's output is in each run's captured logs in the UI.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
PROGRESS_SECONDS = 2.0


def raw_tables(dataset: str, *tables: str) -> set[AssetKey]:
    """These raw tables and those read from their rows (an order head's lines and deliveries):
    a later load reads those only for the heads it loads itself."""
    wanted = set(tables)
    parents = PARENTS[dataset.removeprefix("raw_")]
    while more := {child for child, parent in parents.items() if parent in wanted} - wanted:
        wanted |= more
    return {AssetKey([dataset, table]) for table in wanted}


@contextlib.contextmanager
def project_instance(home: Path) -> Iterator[DagsterInstance]:
    """The Dagster instance under `<home>/dagster`, configured by the project's `dagster.yaml`
    with its storage in that folder: the instance `dagster dev` opens from `make dev`."""
    folder = (home / "dagster").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    config["storage"]["sqlite"]["base_dir"] = str(folder)
    (folder / "dagster.yaml").write_text(
        f"# {PROJECT_ROOT / 'dagster.yaml'}, with its storage in this folder\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(folder)
    try:
        with _records_without_fsync(folder), DagsterInstance.get() as instance:
            yield instance
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved


@contextlib.contextmanager
def _records_without_fsync(folder: Path) -> Iterator[None]:
    """Dagster's SQLite storage opens a connection for each event it records (a dbt test is
    three events) and waits for the disk on every commit and close: minutes of a demo on a
    busy disk. Its connections here skip those waits (SQLite's `synchronous = off`, set
    through SQLAlchemy's documented connect event): an event survives the process dying, and
    only a crash of the machine itself could cost the instance its last records."""
    prefix = str(folder)

    def on_connect(connection: object, _record: object) -> None:
        if isinstance(connection, sqlite3.Connection):
            (_, _, path) = connection.execute("pragma database_list").fetchone()
            if path.startswith(prefix):
                connection.execute("pragma synchronous = off")

    sqlalchemy.event.listen(sqlalchemy.Engine, "connect", on_connect)
    try:
        yield
    finally:
        sqlalchemy.event.remove(sqlalchemy.Engine, "connect", on_connect)


@dataclass
class RunOutcome:
    """What one run materialized, loaded and pushed, and how its checks came out."""

    label: str
    run_id: str
    success: bool
    seconds: float
    materialized: list[AssetKey] = field(default_factory=list)
    rows_loaded: dict[AssetKey, int] = field(default_factory=dict)
    pushed: dict[str, dict[str, int]] = field(default_factory=dict)
    checks: list[AssetCheckEvaluation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def total(self, status: str) -> int:
        return sum(counts[status] for counts in self.pushed.values())

    @property
    def written(self) -> int:
        return self.total("created") + self.total("updated")

    def tables_written(self) -> set[AssetKey]:
        """The raw tables this run's pushes changed in their targets."""
        changed = [
            WRITES_TO[sync.target, sync.object]
            for sync in select_syncs(list(self.pushed))
            if self.pushed[sync.name]["created"] + self.pushed[sync.name]["updated"]
            and (sync.target, sync.object) in WRITES_TO
        ]
        return set().union(*(raw_tables(*table) for table in changed))


@dataclass(frozen=True)
class RunProgress:
    label: str
    step: str
    assets: tuple[int, int]  # materialized, planned
    checks: tuple[int, int]  # evaluated, planned
    seconds: float


ProgressCallback = Callable[[RunProgress], None]
PROGRESS_EVENTS = {
    DagsterEventType.STEP_START,
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED,
    DagsterEventType.ASSET_CHECK_EVALUATION,
}


class InProcessRuns:
    """Runs of the code location's asset job in this process, recorded in `instance`: the
    assets the settings give, run with those settings (`overrides` by name, as in `.env`),
    each run tagged as a writer of the warehouse and with `trigger`."""

    def __init__(
        self,
        settings: Settings,
        instance: DagsterInstance,
        overrides: dict[str, str] | None = None,
        trigger: str = "in_process",
        on_progress: ProgressCallback | None = None,
    ) -> None:
        defs = build_defs(settings)
        run_settings = LedgerlinkSettings(home=str(settings.home), overrides=overrides or {})
        self.defs = Definitions(
            assets=defs.assets,
            resources={**defs.resources, "ledgerlink": run_settings},
            executor=defs.executor,
        )
        self.graph = self.defs.resolve_asset_graph()
        self.job = self.defs.resolve_implicit_global_asset_job_def()
        self.instance = instance
        self.tags = {WAREHOUSE_TAG: "write", "ledgerlink/trigger": trigger}
        self.on_progress = on_progress

    def keys(self, selection: AssetSelection) -> set[AssetKey]:
        return selection.resolve(self.graph)

    def run(self, label: str, selection: AssetSelection | Iterable[AssetKey]) -> RunOutcome:
        keys = self.keys(selection) if isinstance(selection, AssetSelection) else set(selection)
        run_id = str(uuid.uuid4())
        started = time.perf_counter()
        with (
            self._reporting(label, run_id),
            open(os.devnull, "w") as sink,
            contextlib.redirect_stdout(sink),
        ):
            result = self.job.execute_in_process(
                asset_selection=sorted(keys, key=str),
                instance=self.instance,
                run_id=run_id,
                run_config=QUIET,
                tags=self.tags,
                raise_on_error=False,
            )
        outcome = RunOutcome(label, run_id, result.success, time.perf_counter() - started)
        for event in result.get_asset_materialization_events():
            key, metadata = event.asset_key, event.materialization.metadata
            outcome.materialized.append(key)
            if "rows_loaded" in metadata:
                outcome.rows_loaded[key] = int(metadata["rows_loaded"].value)
            if key.path[0] == "push":
                outcome.pushed[key.path[-1]] = {s: int(metadata[s].value) for s in STATUSES}
        outcome.checks = list(result.get_asset_check_evaluations())
        outcome.errors = [e.message or "" for e in result.all_events if e.is_failure]
        return outcome

    def path_to_pushes(self, tables: set[AssetKey]) -> set[AssetKey]:
        """The tables, what a webhook event on them runs (the path from them to the pushes),
        and the other sync models they feed (the order and journal lines the writers send
        inside their heads, the rows held back): dbt runs those models' tests whenever one of
        their parents is built, so they are built too."""
        path = affected_assets(build_sensor_context(definitions=self.defs), tables)
        sync_models = AssetSelection.assets(*tables).downstream() & AssetSelection.groups("sync")
        return tables | set(path) | self.keys(sync_models)

    @contextlib.contextmanager
    def _reporting(self, label: str, run_id: str) -> Iterator[None]:
        """Report the run's progress every few seconds while it runs (from its event log)."""
        if self.on_progress is None:
            yield
            return
        done = threading.Event()
        started = time.perf_counter()
        report = self.on_progress

        def watch() -> None:
            counts = dict.fromkeys(PROGRESS_EVENTS, 0)
            step, cursor = "planning", None
            while not done.wait(PROGRESS_SECONDS):
                records = self.instance.get_records_for_run(
                    run_id, cursor=cursor, of_type=PROGRESS_EVENTS
                )
                cursor = records.cursor
                for record in records.records:
                    event = record.event_log_entry.dagster_event
                    if event is not None:
                        counts[event.event_type] += 1
                        if event.event_type == DagsterEventType.STEP_START:
                            step = event.step_key or step
                report(
                    RunProgress(
                        label,
                        step,
                        (
                            counts[DagsterEventType.ASSET_MATERIALIZATION],
                            counts[DagsterEventType.ASSET_MATERIALIZATION_PLANNED],
                        ),
                        (
                            counts[DagsterEventType.ASSET_CHECK_EVALUATION],
                            counts[DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED],
                        ),
                        time.perf_counter() - started,
                    )
                )

        watcher = threading.Thread(target=watch, name=f"progress {label}", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()
