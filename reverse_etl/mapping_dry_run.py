"""A mapping change tried before it is saved: the project rebuilt on a copy of the warehouse with
the edited table in place, and what the sync models plan then compared with what they plan now.

`mapping_edits.preview` answers at once from the readers' snapshot: which planned rows carry a
changed key or value. This answers what dbt would make of the change: rows that start or stop
being planned, payloads that change field by field, rejects it resolves or causes, and the tests
it would fail. The warehouse is copied under its writer lock (seconds; nothing writes meanwhile)
and the build runs on the copy, so neither the warehouse nor the table's file changes.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ledgerlink.dbt import build_models
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from reverse_etl.mapping_edits import TABLES
from reverse_etl.operations import BEFORE_VALUES, LEADING_COLUMNS
from reverse_etl.runner import select_syncs


@dataclass
class SyncDiff:
    """How one sync model's plan changes: keys are natural keys."""

    model: str
    planned_before: int
    planned_after: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # natural key -> payload field -> (now, with the change)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class DryRun:
    file: str
    syncs: list[SyncDiff]
    resolved: list[str]  # rejects the change clears: "entity natural_key: reason"
    caused: list[str]  # rejects it would add
    failed_tests: list[str]
    seconds: float

    @property
    def summary(self) -> str:
        parts = [
            f"{sum(len(s.added) for s in self.syncs)} newly planned",
            f"{sum(len(s.removed) for s in self.syncs)} no longer planned",
            f"{sum(len(s.changed) for s in self.syncs)} with changed fields",
            f"{len(self.resolved)} rejects resolved",
            f"{len(self.caused)} new rejects",
        ]
        if self.failed_tests:
            parts.append(f"{len(self.failed_tests)} tests would fail")
        return f"dry run of {self.file} ({self.seconds:.0f} s): " + ", ".join(parts)


def dry_run(
    settings: Settings, file_name: str, columns: list[str], rows: list[dict[str, str]], actor: str
) -> DryRun:
    """Build `<table>+` on a copy of the warehouse with `rows` as the table and compare plans."""
    if file_name not in TABLES:
        raise ValueError(f"{file_name} is not a mapping table")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".mapping-dry-run-", dir=settings.home) as folder:
        trial = _trial(settings, Path(folder), file_name, columns, rows)
        with writer_lock(settings, f"mapping dry run by {actor}", publish=False):
            shutil.copyfile(settings.warehouse, trial.warehouse)
        before = _plans(trial)
        with writer_lock(trial, "mapping dry run", publish=False):
            run = build_models(trial, f"{Path(file_name).stem}+", check=False)
        after = _plans(trial)
    return DryRun(
        file=file_name,
        syncs=[d for d in _compare(before["plans"], after["plans"]) if d],
        resolved=sorted(before["rejects"] - after["rejects"]),
        caused=sorted(after["rejects"] - before["rejects"]),
        failed_tests=[r["unique_id"].split(".")[2] for r in run.failures()],
        seconds=time.perf_counter() - started,
    )


def _trial(
    settings: Settings, folder: Path, file_name: str, columns: list[str], rows: list[dict]
) -> Settings:
    """Settings for a home in `folder` whose mapping folder holds the deployment's own tables
    with `rows` in place of `file_name`'s."""
    mappings = folder / "mappings"
    mappings.mkdir()
    if settings.mappings_dir is not None and settings.mappings_dir.is_dir():
        for own in settings.mappings_dir.glob("*.csv"):
            shutil.copyfile(own, mappings / own.name)
    with (mappings / file_name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    home = folder / "home"
    home.mkdir()
    return settings.model_copy(
        update={"ledgerlink_home": home, "warehouse_path": None, "mappings_dir": mappings}
    )


def _plans(settings: Settings) -> dict[str, Any]:
    """Each sync model's rows by natural key, and the rejects, as the warehouse holds them."""
    with connect(settings) as con:
        present = _tables(con)
        models = [s.model for s in select_syncs(None, settings.systems) if s.model in present]
        plans = {model: _rows(con, model) for model in models}
        rejects = set()
        if "sync_rejects" in present:
            rejects = {
                f"{entity} {key}: {reason}"
                for entity, key, reason in con.execute(
                    "select entity, natural_key, reason from sync.sync_rejects"
                ).fetchall()
            }
    return {"plans": plans, "rejects": rejects}


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'sync'"
        ).fetchall()
    }


def _rows(con: duckdb.DuckDBPyConnection, model: str) -> dict[str, dict[str, Any]]:
    cursor = con.execute(f'select * from sync."{model}"')
    names = [d[0] for d in cursor.description]
    rows = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        payload = {
            k: _comparable(v)
            for k, v in row.items()
            if k not in LEADING_COLUMNS and k != BEFORE_VALUES
        }
        # a model may plan several operations for one record (create, then update)
        rows[f"{row['natural_key']} ({row['operation']})"] = {
            "hash": row["content_hash"],
            "payload": payload,
        }
    return rows


def _comparable(value: Any) -> Any:
    """Nested payloads (order lines, journal lines) compare as their JSON text."""
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _compare(before: dict[str, dict], after: dict[str, dict]) -> list[SyncDiff]:
    diffs = []
    for model in sorted(before.keys() | after.keys()):
        old, new = before.get(model, {}), after.get(model, {})
        diff = SyncDiff(model, len(old), len(new))
        diff.added = sorted(new.keys() - old.keys())
        diff.removed = sorted(old.keys() - new.keys())
        for key in sorted(old.keys() & new.keys()):
            if old[key]["hash"] == new[key]["hash"]:
                continue
            was, now = old[key]["payload"], new[key]["payload"]
            fields = {f: (was.get(f), now.get(f)) for f in was.keys() | now.keys()}
            diff.changed[key] = {
                f: pair for f, pair in sorted(fields.items()) if pair[0] != pair[1]
            }
        diffs.append(diff)
    return diffs
