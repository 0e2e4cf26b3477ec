"""`ledgerlink demo` at a small scale in a temporary home: both stories run through the Dagster
instance there, the planted journal ends as a dead letter, the finance summary names what
disagrees, what dbt flagged and what is held back, and every command it prints runs as printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from dagster import AssetKey, DagsterEventType
from typer.testing import CliRunner

from ledgerlink.cli import app
from ledgerlink.console.server import stop_detached
from ledgerlink.settings import load_settings
from orchestration.in_process import project_instance
from sandbox import runner

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

# A printed command: on its own line, after `more:` or `then:` or alone, comments allowed.
PRINTED_COMMAND = re.compile(r"^\s+(?:(?:more|then): )?((?:ledgerlink|make|python) .*)$")
NOT_RUN = {"make dev": "the Dagster UI, until Ctrl-C"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The demo's output, run in a fresh folder (its `.ledgerlink` is the home)."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(folder)
        for key in list(os.environ):
            if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_", "DAGSTER_")):
                monkeypatch.delenv(key)
        try:
            # the demo ends with the operator console started in the background (on any port)
            env = {"LEDGERLINK_CONSOLE_PORT": "0"}
            result = CliRunner().invoke(app, ["demo", "--scale", "0.1"], env=env)
            assert result.exit_code == 0, (result.output[-3000:], result.exception)
            yield folder, result.stdout
        finally:
            stop_detached(load_settings(ledgerlink_home=folder / ".ledgerlink"))
            runner.stop(folder / ".ledgerlink")


def test_the_demo_ends_with_the_consoles_address_and_token(demo):
    folder, output = demo
    address = re.search(r"operator console: (http://127\.0\.0\.1:\d+)/", output)
    assert address, output[-2000:]
    token = re.search(r"log in with the token (\S+)", output)
    assert (
        token
        and token.group(1) == (folder / ".ledgerlink" / "console" / "token").read_text().strip()
    )
    assert httpx.get(f"{address.group(1)}/healthz", timeout=10).status_code == 200


def count(pattern: str, output: str) -> int:
    found = re.search(pattern, output)
    assert found, f"{pattern!r} not in the demo's output:\n{output}"
    return int(found.group(1))


def test_every_group_and_check_is_recorded_in_the_instance(demo):
    folder, _ = demo
    with project_instance(folder / ".ledgerlink") as instance:
        runs = instance.get_runs()
        assert {run.tags["ledgerlink/trigger"] for run in runs} == {"demo"}
        events = [
            record.event_log_entry.dagster_event
            for run in runs
            for record in instance.get_records_for_run(
                run.run_id,
                of_type={
                    DagsterEventType.ASSET_MATERIALIZATION,
                    DagsterEventType.ASSET_CHECK_EVALUATION,
                },
            ).records
        ]
    materialized = {e.asset_key for e in events if e.is_step_materialization}
    groups = {key.path[0] for key in materialized}
    assert {"raw_freshbooks", "raw_infor", "raw_shop", "staging", "marts", "sync"} <= groups
    assert AssetKey(["push", "infor_gl_journals"]) in materialized
    checks = {
        (e.event_specific_data.asset_key.path[-1], e.event_specific_data.check_name): e
        for e in events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    }
    assert len(checks) > 500
    assert not checks["infor_gl_journals", "all_records_written"].event_specific_data.passed
    assert ("fct_invoices", "invoice_amount_outliers") in checks


def test_the_planted_journal_is_a_dead_letter(demo):
    folder, output = demo
    journal = re.search(r"planted: Infor refuses GL journal (\S+)", output).group(1)
    warehouse = folder / ".ledgerlink" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        letters = con.execute(
            "select reason from ops.dead_letters where natural_key = ? and status = 'open'",
            [journal],
        ).fetchall()
    assert len(letters) == 1 and "blocked" in letters[0][0]
    assert re.search(rf"\n  \w{{12}}  gl_journals {journal}: .*blocked", output)


def test_the_summary_names_differences_anomalies_and_held_records(demo):
    _, output = demo
    assert count(r"order to cash: (\d+) FreshBooks invoices are Infor orders", output) > 0
    assert count(r"(\d+) shipped, ", output) > 0
    assert count(r"reconciliation \(marts.reconciliation\): (\d+) customer-months", output) > 0
    assert count(r"open AR \(marts.ar_aging\): (\d+) balances", output) > 0
    assert count(r"anomalies that dbt's warn tests found: (\d+) tests", output) > 0
    assert "invoice_amount_outliers" in output
    assert count(r"held back with a reason \(sync.sync_rejects\): (\d+) records", output) > 0
    assert re.search(r"demo took \dm\d\ds", output)


def test_every_printed_command_runs_as_printed(demo):
    folder, output = demo
    commands = [m.group(1) for line in output.splitlines() if (m := PRINTED_COMMAND.match(line))]
    assert any(c.startswith("ledgerlink dlq replay") for c in commands), commands
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.defpath}"}
    for command in commands:
        if command.split("#")[0].strip() in NOT_RUN:
            continue
        done = subprocess.run(
            ["/bin/bash", "-e", "-c", command], cwd=folder, env=env, capture_output=True,
            text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
