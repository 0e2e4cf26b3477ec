"""dbt for analytics engineers: `ledgerlink dbt` runs any dbt command on the warehouse; dbt run
by hand without the warehouse stops with one clear line instead of creating an empty one."""

from __future__ import annotations

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
