"""dbt for analytics engineers: `ledgerlink dbt` runs any dbt command on the warehouse; dbt run
by hand without the warehouse stops with one clear line instead of creating an empty one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ledgerlink.cli import app
from ledgerlink.dbt import PROJECT_DIR, dbt_executable


def clean_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERLINK_")}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def test_ledgerlink_dbt_runs_a_dbt_command_with_the_settings(tmp_path: Path):
    env = clean_environment()
    env |= {
        "LEDGERLINK_HOME": str(tmp_path / ".ledgerlink"),
        "LEDGERLINK_SYSTEMS": "freshbooks,infor",
    }
    ledgerlink = str(Path(sys.executable).with_name("ledgerlink"))
    completed = subprocess.run(
        [ledgerlink, "dbt", "ls", "--resource-type", "model", "-q"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "ledgerlink.staging.freshbooks.stg_freshbooks__clients" in completed.stdout
    assert "stg_shop__orders" not in completed.stdout  # the settings' systems reach dbt


def test_ledgerlink_dbt_without_a_command_says_what_to_give():
    result = CliRunner().invoke(app, ["dbt"])
    assert result.exit_code != 0 and "name a dbt command" in result.output


def test_dbt_by_hand_without_a_warehouse_stops_and_creates_nothing(tmp_path: Path):
    completed = subprocess.run(
        [
            dbt_executable(), "build", "--select", "stg_freshbooks__clients",
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
            "--target-path", str(tmp_path / "target"),
        ],
        cwd=tmp_path, env=clean_environment(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode != 0
    assert "no warehouse: run dbt as `ledgerlink dbt <command>`" in completed.stdout
    assert not list(tmp_path.rglob("*.duckdb")) and not list(PROJECT_DIR.parent.glob("*.duckdb"))


def run_transform(tmp_path: Path, *args: str, mappings: Path | None = None):
    env = clean_environment()
    env |= {
        "LEDGERLINK_HOME": str(tmp_path / ".ledgerlink"),
        "LEDGERLINK_SYSTEMS": "freshbooks,infor",
    }
    if mappings is not None:
        env["LEDGERLINK_MAPPINGS_DIR"] = str(mappings)
    ledgerlink = str(Path(sys.executable).with_name("ledgerlink"))
    return subprocess.run(
        [ledgerlink, "transform", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_transform_prints_a_summary_and_keeps_dbts_output_in_a_file(tmp_path: Path):
    models = ("stg_freshbooks__taxes", "stg_freshbooks__items")  # their tests read only them
    completed = run_transform(tmp_path, "--select", models[0], "--select", models[1])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("dbt build: 2 built, ") and "0 tests failed, 0 errors" in lines[0]
    assert "START sql" not in completed.stdout  # dbt's own lines are in the file, not here
    assert "dbt build: " in completed.stderr and " nodes" in completed.stderr  # progress
    log = tmp_path / ".ledgerlink" / "logs" / "dbt.log"
    assert lines[-1] == f"dbt's whole output: {log}"
    assert "OK created sql view model staging.stg_freshbooks__items" in log.read_text()
    assert log.stat().st_mode & 0o777 == 0o600


def test_transform_names_each_failed_test_and_exits_1_and_json_says_the_same(tmp_path: Path):
    seed = PROJECT_DIR / "seeds" / "expense_category_gl_accounts.csv"
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    header, first, *rest = seed.read_text().splitlines()
    (mappings / seed.name).write_text("\n".join([header, first, first, *rest]) + "\n")

    completed = run_transform(tmp_path, "--select", seed.stem, mappings=mappings)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    failed = f"fail    unique_{seed.stem}_expense_category: Got 1 result"
    assert failed in completed.stdout, completed.stdout
    last = completed.stderr.strip().splitlines()[-1]
    assert last.startswith("error: dbt build failed (") and f"unique_{seed.stem}_" in last, last

    completed = run_transform(tmp_path, "--select", seed.stem, "--json", mappings=mappings)
    assert completed.returncode == 1
    report = json.loads(completed.stdout)
    assert report["ok"] is False and report["fail"] == 1 and report["built"] == 1
    failed = [n["name"] for n in report["flagged"] if n["status"] == "fail"]
    assert failed == [f"unique_{seed.stem}_expense_category"]
