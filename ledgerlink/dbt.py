"""Running the dbt project: one `dbt` process per batch, on the warehouse, under the writer lock."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from ledgerlink.auth.files import open_private
from ledgerlink.errors import ConfigurationError, LedgerlinkError
from ledgerlink.ops_schema import ensure_ops_schema
from ledgerlink.settings import SYSTEMS, Settings, environment_for_subprocess
from ledgerlink.warehouse import connect, writer_lock

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
# Where `parse_project` parses: its partial-parse state starts each home's own (`build_target`).
PARSE_TARGET = PROJECT_DIR / "target" / "parse"
DBT_STOP_SECONDS = 5.0  # how long an interrupted dbt gets to stop by itself
# dbt's line for a finished node: "12 of 310 OK created sql view model ...", "13 of 310 WARN 3 ..."
FINISHED_NODE = re.compile(r"\b(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP)\b")
ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")
DOTTED_FILL = re.compile(r" \.+ | \[")  # between a node's description and its timing
FLAGGED_STATUSES = ("warn", "fail", "error")
# Builds on the data (transform, sync, Dagster) leave out dbt's unit tests: they check the SQL on
# fixed inputs, so their outcome cannot change with the data, and dbt advises running them in
# development and CI only: `ledgerlink dbt test --select test_type:unit` and `make test` run them.
WITHOUT_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


class DbtFailed(LedgerlinkError):
    """dbt exited non-zero: models or tests failed."""


@dataclass
class DbtProgress:
    """How far a dbt run got: nodes finished out of those selected, by dbt's word for each."""

    total: int = 0
    done: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    # (status, node name) of each node that warned, failed or errored, in the order dbt said so
    flagged: list[tuple[str, str]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def read(self, line: str) -> bool:
        """Count `line` if it reports a finished node; whether it did."""
        found = FINISHED_NODE.search(line)
        if not found:
            return False
        self.done, self.total = int(found[1]), int(found[2])
        status = found[3].lower()
        self.statuses[status] += 1
        if status in FLAGGED_STATUSES:
            self.flagged.append((status, _node_named(line[found.end() :])))
        return True


def _node_named(rest: str) -> str:
    """The node's name from what follows the status on dbt's line: `1 not_null_x .... [FAIL 1
    in 0.1s]` or `creating sql table model main.orders .... [ERROR in 0.2s]`."""
    words = DOTTED_FILL.split(ANSI_CODE.sub("", rest), maxsplit=1)[0].split()
    return words[-1].split(".")[-1].strip('"') if words else "?"


@dataclass
class DbtRun:
    command: list[str]
    returncode: int
    results: list[dict]
    log: Path | None = None  # dbt's whole output
    target: Path | None = None  # dbt's artifacts of this run (manifest, run results)

    def failures(self) -> list[dict]:
        return [r for r in self.results if r.get("status") in ("error", "fail")]

    def not_built(self, models: list[str]) -> dict[str, str]:
        """Model -> why a push must not read it after this build: dbt failed on it, skipped it
        (an error-severity test or a model upstream of it failed), or an error-severity test on
        the model itself failed. Everything else is fresh and tested, so its pushes go on."""
        failed = ", ".join(_name(r) for r in self.failures()[:3]) or "dbt"
        fix = f"({failed} failed): fix that, then `ledgerlink transform`"
        if self.returncode != 0 and not self.results:
            return {model: f"dbt did not run {fix}" for model in models}
        statuses = {
            r["unique_id"].split(".")[-1]: r.get("status")
            for r in self.results
            if r["unique_id"].startswith("model.")
        }
        tested = self.models_failing_tests()
        reasons = {}
        for model in models:
            status = statuses.get(model)
            if status == "success" and model not in tested:
                continue
            if status is None:
                continue  # not selected in this build (dbt lists what it skipped as skipped)
            if status == "error":
                reasons[model] = f"dbt failed on {model} {fix}"
            elif status == "success":
                reasons[model] = f"a test on {model} failed {fix}"
            else:
                reasons[model] = f"dbt skipped {model} {fix}"
        return reasons

    def models_failing_tests(self) -> set[str]:
        """Models an error-severity test failed on (from the build's manifest)."""
        failing = [r["unique_id"] for r in self.failures() if r["unique_id"].startswith("test.")]
        if not failing:
            return set()
        manifest = self.target / "manifest.json" if self.target else None
        nodes = json.loads(manifest.read_text())["nodes"] if manifest and manifest.exists() else {}
        return {
            parent.split(".")[-1]
            for test in failing
            for parent in nodes.get(test, {}).get("depends_on", {}).get("nodes", [])
            if parent.startswith("model.")
        }


def _name(result: dict) -> str:
    return result["unique_id"].split(".")[2]


def dbt_executable() -> str:
    """The dbt of this environment (not whatever is on PATH)."""
    return str(Path(sys.executable).with_name("dbt"))


SEEDS_DIR = PROJECT_DIR / "seeds"


def seeds_dir(settings: Settings) -> Path:
    """The mapping tables dbt loads: the project's seeds, with any of the same name in
    `LEDGERLINK_MAPPINGS_DIR` in their place. They are assembled inside the project's target
    folder, per home: dbt writes each seed's compiled SQL to `<target>/run/<project>/<its path>`,
    so a seed path must stay relative to the project (an absolute one would be overwritten)."""
    if settings.mappings_dir is None:
        return SEEDS_DIR
    source = settings.mappings_dir.resolve()
    if not source.is_dir():
        raise ConfigurationError(
            f"LEDGERLINK_MAPPINGS_DIR={source} is not a folder: point it at the folder of your "
            "mapping CSVs (named as the files in dbt_project/seeds), or unset it"
        )
    unknown = sorted(p.name for p in source.glob("*.csv") if not (SEEDS_DIR / p.name).exists())
    if unknown:
        raise ConfigurationError(
            f"LEDGERLINK_MAPPINGS_DIR holds {', '.join(unknown)}, which is no mapping table: "
            f"name it as one of {', '.join(sorted(p.name for p in SEEDS_DIR.glob('*.csv')))}"
        )
    home = hashlib.blake2b(str(settings.home).encode(), digest_size=6).hexdigest()
    merged = PROJECT_DIR / "target" / "mappings" / home
    merged.mkdir(parents=True, exist_ok=True)
    for seed in (path for path in SEEDS_DIR.iterdir() if path.is_file()):  # tables and their YAML
        replaced = seed.suffix == ".csv" and (source / seed.name).exists()
        chosen = source / seed.name if replaced else seed
        target = merged / seed.name
        if not target.exists() or target.read_bytes() != chosen.read_bytes():
            shutil.copyfile(chosen, target)
    return merged


def dbt_environment(settings: Settings) -> dict[str, str]:
    env = environment_for_subprocess(settings)
    env["LEDGERLINK_WAREHOUSE"] = str(settings.warehouse)
    env["LEDGERLINK_SEEDS_DIR"] = str(seeds_dir(settings).relative_to(PROJECT_DIR))
    env["DBT_PROFILES_DIR"] = str(PROJECT_DIR)
    env["DBT_PROJECT_DIR"] = str(PROJECT_DIR)
    return env


def dbt_vars(settings: Settings) -> dict[str, Any]:
    """The project variables that follow from settings: which systems' models are enabled, and
    the Infor tenant's codes the sync models write."""
    return {
        "ledgerlink_systems": list(settings.systems),
        "m3_company": settings.infor_cono,
        "m3_division": settings.infor_divi,
        "m3_facility": settings.infor_facility,
        "m3_warehouse": settings.infor_warehouse,
        "m3_local_currency": settings.infor_local_currency,
        "abs100_statement_type": settings.infor_statement_type,
        "abs100_difference_code": settings.infor_payment_difference_code,
        "payment_difference_tolerance": str(settings.payment_difference_tolerance),
        "gls840_interface": settings.infor_gl_interface,
    }


def vars_argument(settings: Settings) -> list[str]:
    return ["--vars", json.dumps(dbt_vars(settings))]


@dataclass(frozen=True)
class SourceTable:
    """A raw table a dbt source declares, with the columns (and types) staging reads from it."""

    system: str
    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]


@cache
def declared_source_tables() -> tuple[SourceTable, ...]:
    """Every raw table of the three systems as the sources' YAML declares it."""
    tables = []
    for path in sorted((PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            if source["name"] not in SYSTEMS:
                continue  # ops: the ledger creates its own tables
            for table in source["tables"]:
                columns = tuple((c["name"], c["data_type"]) for c in table.get("columns", []))
                tables.append(SourceTable(source["name"], source["schema"], table["name"], columns))
    return tuple(tables)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_source_tables(settings: Settings) -> list[str]:
    """Create every raw table and column the enabled systems' staging reads, typed and empty where
    dlt has not (yet) made them: an entity with no rows, or a field null on every row, gets no
    table or column from dlt, and staging must still build. Returns what it created."""
    created = []
    with connect(settings, read_only=False) as con:
        existing: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall():
            existing.setdefault((schema, table), set()).add(column)
        for table in _enabled(declared_source_tables(), settings):
            name = f"{_quoted(table.schema)}.{_quoted(table.name)}"
            have = existing.get((table.schema, table.name))
            if have is None:
                con.execute(f"create schema if not exists {_quoted(table.schema)}")
                columns = ", ".join(f"{_quoted(c)} {t}" for c, t in table.columns)
                con.execute(f"create table {name} ({columns})")
                created.append(f"{table.schema}.{table.name}")
                continue
            for column, data_type in table.columns:
                if column not in have:
                    con.execute(f"alter table {name} add column {_quoted(column)} {data_type}")
                    created.append(f"{table.schema}.{table.name}.{column}")
    return created


def _enabled(tables: tuple[SourceTable, ...], settings: Settings) -> Iterator[SourceTable]:
    return (t for t in tables if settings.system_enabled(t.system))


def run_dbt(
    settings: Settings,
    *args: str,
    check: bool = True,
    echo: bool = False,
    progress: Callable[[DbtProgress], None] | None = None,
) -> DbtRun:
    """Run `dbt <args>` against the warehouse, every raw table it reads present, and read back its
    run results. dbt's output goes to `<home>/logs/dbt.log` (the last run's), and to stdout as
    well with `echo`; `progress` is called after each node dbt finishes."""
    target = build_target(settings)
    command = [
        dbt_executable(),
        *args,
        *vars_argument(settings),
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target),
    ]
    results_file = target / "run_results.json"
    results_file.unlink(missing_ok=True)
    log = dbt_log_path(settings)
    with writer_lock(settings, f"dbt {args[0] if args else ''}"):
        ensure_source_tables(settings)
        returncode = _run_until_done(command, settings, log, echo, progress)
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    if results:
        _keep_latest_results(settings, results, whole=args[:1] == ("build",) and not _selects(args))
    run = DbtRun(command=command, returncode=returncode, results=results, log=log, target=target)
    if check and returncode != 0:
        failed = ", ".join(r["unique_id"].split(".")[2] for r in run.failures()[:5]) or "see output"
        raise DbtFailed(
            f"dbt {' '.join(args)} failed ({len(run.failures())} failed: {failed}); "
            f"dbt's output is in {log}"
        )
    return run


def build_target(settings: Settings) -> Path:
    """Where dbt writes a home's artifacts: apart from the manifest Dagster reads (so a build
    never leaves Dagster a half-written file), and apart from every other home's (each home's
    console reads its own results). A new one starts from the project's parse, so
    its first build parses only what differs."""
    target = settings.home / "dbt" / "target"
    state = target / "partial_parse.msgpack"
    if not state.exists() and (PARSE_TARGET / state.name).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PARSE_TARGET / state.name, state)
    return target


def latest_results_path(settings: Settings) -> Path:
    return settings.home / "dbt" / "latest_results.json"


def latest_results(settings: Settings) -> list[dict[str, Any]]:
    """Each model's and test's result from the last dbt run that ran it, whatever that run
    selected (an incremental build runs a few; the rest keep their last result)."""
    path = latest_results_path(settings)
    return list(json.loads(path.read_text()).values()) if path.exists() else []


def _selects(args: tuple[str, ...]) -> bool:
    """Whether `args` build less than every node that depends on the data."""
    narrowing = {"--select", "-s", "--exclude", "--resource-type", "--resource-types"}
    excluded = {b for a, b in pairwise(args) if a == "--exclude-resource-type"}
    return any(a in narrowing for a in args) or bool(excluded - {"unit_test"})


def _keep_latest_results(settings: Settings, results: list[dict], *, whole: bool) -> None:
    """Merge a run's results into the latest per node, written in one rename: dbt writes its
    own `run_results.json` in place, so a reader (the console) could meet half a file, and a
    small build's file would hide every other test's findings. A whole build starts afresh, so a
    test removed from the project goes too."""
    path = latest_results_path(settings)
    latest = {} if whole or not path.exists() else json.loads(path.read_text())
    latest |= {result["unique_id"]: result for result in results}
    partial = path.with_name(path.name + ".partial")
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text(json.dumps(latest))
    partial.replace(path)


def dbt_log_path(settings: Settings) -> Path:
    """Where the last dbt run's whole output is kept."""
    return settings.home / "logs" / "dbt.log"


def build_models(
    settings: Settings,
    *selectors: str,
    full_refresh: bool = False,
    with_tests: bool = True,
    check: bool = True,
    progress: Callable[[DbtProgress], None] | None = None,
) -> DbtRun:
    """`dbt build` of the selected nodes (all by default) on the warehouse, failing on errors
    (unless `check` is off: the caller reads `DbtRun.not_built`): the ledger's tables first (dbt
    reads them), then models, seeds, snapshots and, unless `with_tests` is off (loops that only
    need the models refreshed), their tests."""
    args = ["build", *WITHOUT_UNIT_TESTS]
    if not with_tests:
        args += ["--exclude-resource-type", "test"]
    for selector in selectors:
        args += ["--select", selector]
    if full_refresh:
        args.append("--full-refresh")
    with writer_lock(settings, "dbt build"):
        prepare_warehouse(settings)
        return run_dbt(settings, *args, check=check, progress=progress)


def prepare_warehouse(settings: Settings) -> None:
    """What dbt reads besides the raw tables: the ledger's tables (created if missing)."""
    with writer_lock(settings, "ops schema"), connect(settings, read_only=False) as con:
        ensure_ops_schema(con)


def _run_until_done(
    command: list[str],
    settings: Settings,
    log: Path,
    echo: bool,
    progress: Callable[[DbtProgress], None] | None,
) -> int:
    """dbt's exit code, its output kept in `log` line by line. On Ctrl-C (or SIGTERM turned into
    it) dbt is asked to stop as a person would stop it, and is killed only if it has not after a
    few seconds."""
    log.parent.mkdir(parents=True, exist_ok=True)
    counted = DbtProgress()
    process = subprocess.Popen(
        command,
        env=dbt_environment(settings),
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    try:
        with os.fdopen(open_private(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "w") as kept:
            for line in process.stdout:
                kept.write(ANSI_CODE.sub("", line))
                if echo:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                if counted.read(line) and progress is not None:
                    progress(counted)
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=DBT_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise


MANIFESTS = PROJECT_DIR / "target" / "manifests"


def manifest_dir(settings: Settings) -> Path:
    """Where the manifest for these settings lives: one per set of systems, since a system that
    is off has no models, so deployments (and tests) with other systems never share one."""
    return MANIFESTS / "+".join(settings.systems)


@contextmanager
def parse_lock() -> Iterator[None]:
    """One `dbt parse` of the project at a time on this machine: processes that start together
    (a code location and a CLI, a test run's workers) would write the same files."""
    PARSE_TARGET.parent.mkdir(parents=True, exist_ok=True)
    with open(PARSE_TARGET.parent / ".parse.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def parse_project(settings: Settings) -> Path:
    """`dbt parse` with the settings' variables: write the manifest Dagster reads the graph from
    (no warehouse needed), replacing the old one in one step."""
    completed = subprocess.run(
        [
            dbt_executable(), "parse", "--quiet", *vars_argument(settings),
            "--project-dir", str(PROJECT_DIR), "--target-path", str(PARSE_TARGET),
        ],
        env=dbt_environment(settings),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    parsed = PARSE_TARGET / "manifest.json"
    if completed.returncode != 0 or not parsed.exists():
        raise DbtFailed(f"dbt parse failed: {(completed.stdout + completed.stderr).strip()[-500:]}")
    manifest = manifest_dir(settings) / "manifest.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    parsed.replace(manifest)
    return manifest
