"""Building only what changed: `dbt build` of the nodes downstream of the source tables whose
data changed since the last clean build, and nothing at all when none did.

After each build without errors or failed tests, `<home>/dbt/last_build.json` keeps a
fingerprint of every table dbt reads (raw and ledger alike: row count and dlt's newest load id,
or a hash of the rows where there is no load id) and a digest of the project (its files, the
mapping tables it loads and the variables the settings give). The next build compares: a
changed table selects `source:<source>.<table>+`; a changed project, a new day (the analyst
marts age and forecast from today) or no record builds everything. A build that fails records
nothing, so the next one selects what it had to build again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import yaml

from ledgerlink.dbt import (
    PROJECT_DIR,
    DbtProgress,
    DbtRun,
    build_models,
    dbt_vars,
    ensure_source_tables,
    prepare_warehouse,
    seeds_dir,
)
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock

# What a build reads besides the sources: a change to any of these rebuilds everything.
PROJECT_PARTS = ("dbt_project.yml", "packages.yml", "models", "macros", "snapshots", "tests")


@dataclass(frozen=True)
class BuildState:
    """What a clean build saw: the project's digest, the day, and each source table's
    fingerprint (`"freshbooks.clients": "120/1733562001.2"`)."""

    project: str
    day: str
    sources: dict[str, str]

    def changed_sources(self, last: BuildState) -> list[str] | None:
        """The source tables that differ from `last`, or None when everything must build."""
        if (self.project, self.day) != (last.project, last.day):
            return None
        names = self.sources.keys() | last.sources.keys()
        return sorted(n for n in names if self.sources.get(n) != last.sources.get(n))


def build_changed(
    settings: Settings,
    *,
    check: bool = False,
    progress: Callable[[DbtProgress], None] | None = None,
) -> DbtRun | None:
    """`dbt build` of what the sources changed since the last clean build (everything when
    the project, the mapping tables, the variables or the day changed, or no clean build is
    recorded); None when nothing changed, and dbt is not started at all."""
    with writer_lock(settings, "dbt build"):
        last = _load(settings)
        now = state_before_build(settings)
        changed = now.changed_sources(last) if last else None
        if changed == []:
            return None
        selectors = [f"source:{name}+" for name in changed or []]
        run = build_models(settings, *selectors, check=check, progress=progress)
        if run.returncode == 0:  # warnings at most: what it read is built
            record_clean_build(settings, now)
        return run


def state_before_build(settings: Settings) -> BuildState:
    """What a build is about to read (every table it reads made present first, so that the
    next comparison sees the same tables). Take it under the writer lock the build holds."""
    prepare_warehouse(settings)
    ensure_source_tables(settings)
    return current_state(settings)


def record_clean_build(settings: Settings, state: BuildState) -> None:
    """A build of everything that `state` fed ended without errors or failed tests."""
    path = _path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(state), indent=1, sort_keys=True))
    partial.replace(path)


def forget_last_build(settings: Settings) -> None:
    """The next `build_changed` builds everything (after a full refresh, say)."""
    _path(settings).unlink(missing_ok=True)


def current_state(settings: Settings) -> BuildState:
    return BuildState(
        project=project_digest(settings),
        day=datetime.now(UTC).date().isoformat(),
        sources=source_fingerprints(settings),
    )


def project_digest(settings: Settings) -> str:
    """One digest of every file the build reads besides data, the mapping tables and the
    variables: any edit to a model, macro, test, seed or setting changes it."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps(dbt_vars(settings), sort_keys=True).encode())
    parts = {part: PROJECT_DIR / part for part in PROJECT_PARTS} | {"seeds": seeds_dir(settings)}
    for part, folder in parts.items():
        files = sorted(folder.rglob("*")) if folder.is_dir() else [folder]
        for path in (p for p in files if p.is_file()):
            digest.update(f"{part}/{path.relative_to(folder) if path != folder else ''}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def declared_sources() -> tuple[tuple[str, str, str], ...]:
    """(dbt source name, schema, table) of every source table the project declares."""
    found = []
    for path in sorted((PROJECT_DIR / "models").rglob("_*__sources.yml")):
        for source in yaml.safe_load(path.read_text()).get("sources", []):
            schema = source.get("schema", source["name"])
            found += [(source["name"], schema, table["name"]) for table in source["tables"]]
    return tuple(found)


def source_fingerprints(settings: Settings) -> dict[str, str]:
    """`source.table` -> its row count and newest dlt load id (a hash of its rows where it
    has no load id, as the ledger's tables); absent tables are left out."""
    if not settings.warehouse.exists():
        return {}
    with connect(settings) as con:
        columns = {
            (schema, table): set(names)
            for schema, table, names in con.execute(
                "select table_schema, table_name, list(column_name) "
                "from information_schema.columns group by all"
            ).fetchall()
        }
        parts = []
        for source, schema, table in declared_sources():
            names = columns.get((schema, table))
            if names is None:
                continue
            latest = (
                "coalesce(max(_dlt_load_id), '')"
                if "_dlt_load_id" in names
                else "coalesce(sum(hash(t)::hugeint)::varchar, '')"
            )
            parts.append(
                f"select '{source}.{table}' as name, count(*)::varchar || '/' || {latest} "
                f'as mark from "{schema}"."{table}" as t'
            )
        if not parts:
            return {}
        return dict(con.execute(" union all ".join(parts)).fetchall())


def _path(settings: Settings) -> Path:
    return settings.home / "dbt" / "last_build.json"


def _load(settings: Settings) -> BuildState | None:
    try:
        return BuildState(**json.loads(_path(settings).read_text()))
    except (OSError, ValueError, TypeError):
        return None  # none yet, or unreadable: build everything
