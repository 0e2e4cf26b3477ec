"""Running the dbt project: one `dbt` process per batch, on the warehouse, under the writer lock."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings, environment_for_subprocess
from ledgerlink.warehouse import writer_lock

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
# Builds write their artifacts apart from the manifest Dagster reads (target/manifest.json, from
# `parse_project`), so a build never leaves Dagster a half-written file to load.
BUILD_TARGET = PROJECT_DIR / "target" / "build"


class DbtFailed(LedgerlinkError):
    """dbt exited non-zero: models or tests failed."""


@dataclass
class DbtRun:
    command: list[str]
    returncode: int
    results: list[dict]

    def failures(self) -> list[dict]:
        return [r for r in self.results if r.get("status") in ("error", "fail")]


def dbt_executable() -> str:
    """The dbt of this environment (not whatever is on PATH)."""
    return str(Path(sys.executable).with_name("dbt"))


def dbt_environment(settings: Settings) -> dict[str, str]:
    env = environment_for_subprocess(settings)
    env["LEDGERLINK_WAREHOUSE"] = str(settings.warehouse)
    env["DBT_PROFILES_DIR"] = str(PROJECT_DIR)
    env["DBT_PROJECT_DIR"] = str(PROJECT_DIR)
    return env


def run_dbt(settings: Settings, *args: str, check: bool = True, quiet: bool = False) -> DbtRun:
    """Run `dbt <args>` against the warehouse and read back its run results."""
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(BUILD_TARGET),
    ]
    results_file = BUILD_TARGET / "run_results.json"
    results_file.unlink(missing_ok=True)
    with writer_lock(settings, f"dbt {args[0] if args else ''}"):
        completed = subprocess.run(
            command,
            env=dbt_environment(settings),
            cwd=PROJECT_DIR,
            stdout=subprocess.DEVNULL if quiet else None,
            check=False,
        )
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    run = DbtRun(command=command, returncode=completed.returncode, results=results)
    if check and completed.returncode != 0:
        failed = ", ".join(r["unique_id"].split(".")[2] for r in run.failures()[:5]) or "see output"
        raise DbtFailed(f"dbt {' '.join(args)} failed ({len(run.failures())} failed: {failed})")
    return run


MANIFEST = PROJECT_DIR / "target" / "manifest.json"


def parse_project(settings: Settings) -> Path:
    """`dbt parse`: write the manifest Dagster reads the graph from (no warehouse needed),
    replacing the old one in one step."""
    parse_target = PROJECT_DIR / "target" / "parse"
    completed = subprocess.run(
        [
            dbt_executable(), "parse", "--quiet",
            "--project-dir", str(PROJECT_DIR), "--target-path", str(parse_target),
        ],
        env=dbt_environment(settings),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    parsed = parse_target / "manifest.json"
    if completed.returncode != 0 or not parsed.exists():
        raise DbtFailed(f"dbt parse failed: {(completed.stdout + completed.stderr).strip()[-500:]}")
    parsed.replace(MANIFEST)
    return MANIFEST
