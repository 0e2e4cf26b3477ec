"""Pushes of small synthetic plans to the sandbox: the dry run counts what the push then does
(open dead letters and waiting rows included), and a push stopped by Ctrl-C, SIGTERM or SIGKILL
is recorded as interrupted or crashed with what it did; the next push finishes, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from synthetic_syncs import Targets, client, ledger_rows, push, unpaced, write_plan
from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.cli.push import print_report
from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.settings import Settings
from reverse_etl.planner import PLAN_COLUMNS
from reverse_etl.runner import Progress, PushInterrupted

CLIENTS = "freshbooks_clients"


@pytest.fixture(scope="module")
def authorized(module_settings: Settings) -> Settings:
    authorize_headless(module_settings, FreshBooksTokenManager(module_settings))
    return module_settings


@pytest.fixture
def settings(authorized: Settings, tmp_path: Path) -> Settings:
    """The module's home (tokens, sandbox settings) with a warehouse of this test's own."""
    return authorized.model_copy(update={"warehouse_path": tmp_path / "warehouse.duckdb"})


@pytest.fixture
def tag() -> str:
    """Makes this test's natural keys its own on the shared sandbox."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def targets(authorized: Settings):
    found = Targets(authorized)
    yield found
    found.close()


def plan_counts(report) -> dict[str, int]:
    return {column: report.total(column) for column in PLAN_COLUMNS}


def test_the_dry_run_counts_what_the_push_then_does(settings, tag, targets, capsys):
    sync = unpaced(CLIENTS)
    written = [client(f"ada{n}.{tag}@example.org", f"Ada{n} Lovelace") for n in range(3)]
    # Our validation refuses the currency: a dead letter at once, never sent.
    refused = client(f"bad.{tag}@example.org", "Grace Hopper", currency="usd!")
    waiting = client(f"kid.{tag}@example.org", "Kid Hopper", depends_on=f"none.{tag}@example.org")
    write_plan(settings, sync, [*written, refused, waiting])
    first = push(settings, [sync])
    assert (first.total("created"), first.total("dead_lettered"), first.total("waiting")) == (
        3,
        1,
        1,
    )

    # The mapping is fixed (new content for the refused client, still held by its letter until
    # an operator replays it), two clients are new, and the written ones are planned again.
    fixed = client(f"bad.{tag}@example.org", "Grace Hopper")
    new = [client(f"bob{n}.{tag}@example.org", f"Bob{n} Kahn") for n in range(2)]
    write_plan(settings, sync, [*written, fixed, waiting, *new])

    dry = push(settings, [sync], dry_run=True)
    pushed = push(settings, [sync])

    expected = {column: 0 for column in PLAN_COLUMNS} | {
        "create": 2,
        "applied": 3,
        "dead_letter_open": 1,
        "waiting": 1,
    }
    assert plan_counts(dry) == plan_counts(pushed) == expected
    assert pushed.total("created") == 2 and pushed.ok
    assert targets.clients(fixed.payload["email"]) == []  # held: never sent
    print_report(dry)
    print_report(pushed)
    shown = capsys.readouterr().out.splitlines()
    plan_rows = [line.split() for line in shown if line.startswith(CLIENTS)]
    # The same plan row in both summaries, with its open dead letter and its waiting row (and
    # nothing held for review: clients are not gated).
    assert (
        plan_rows[0] == plan_rows[1] == [CLIENTS, "2", "0", "0", "3", "1", "0", "1", "0", "0", "0"]
    )


def stop_after(records: int):
    def on_progress(progress: Progress) -> None:
        if progress.done >= records:
            raise KeyboardInterrupt

    return on_progress


def test_an_interrupted_push_is_recorded_with_what_it_did_and_the_next_finishes(
    settings, tag, targets
):
    sync = unpaced(CLIENTS, concurrency=1)
    rows = [client(f"int{n}.{tag}@example.org", f"Ida{n} Rupt") for n in range(6)]
    write_plan(settings, sync, rows)

    with pytest.raises(PushInterrupted) as stopped:
        push(settings, [sync], on_progress=stop_after(2))

    done = stopped.value.report.total("created")
    assert 2 <= done < len(rows)
    run = stopped.value.report.run_id
    [(status, created, error, finished)] = ledger_rows(
        settings,
        "select status, created, error, finished_at from ops.sync_runs where run_id = ?",
        [run],
    )
    assert (status, created) == ("interrupted", done)
    assert error == "interrupted (KeyboardInterrupt)" and finished is not None
    [(in_ledger,)] = ledger_rows(
        settings, "select count(*) from ops.sync_records where status = 'created'"
    )
    assert in_ledger == done

    rest = push(settings, [sync])
    assert (rest.total("created"), rest.total("applied")) == (len(rows) - done, done)
    assert rest.ok
    assert {row.natural_key: len(targets.clients(row.natural_key)) for row in rows} == {
        row.natural_key: 1 for row in rows
    }


def push_process(settings: Settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "LEDGERLINK_HOME": str(settings.home),
        "LEDGERLINK_WAREHOUSE": str(settings.warehouse),
        "FRESHBOOKS_RATE_LIMIT": "500",
        "LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("ledgerlink")), "push", "--select", CLIENTS]
    return subprocess.Popen(
        command,
        env=env,
        cwd=settings.home.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_written(process: subprocess.Popen, targets: Targets, emails: list[str]) -> None:
    """Wait until the push has created one of these clients (syncs.yml paces them at 5/s)."""
    deadline = time.monotonic() + 60
    while not any(targets.clients(email) for email in emails):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the push wrote nothing in a minute"
        time.sleep(0.05)


def ledgerlink_status(settings: Settings) -> str:
    env = {"LEDGERLINK_HOME": str(settings.home), "LEDGERLINK_WAREHOUSE": str(settings.warehouse)}
    result = CliRunner().invoke(cli, ["status"], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_sigterm_stops_a_push_that_says_what_it_did_and_sigkill_leaves_a_crashed_run(
    settings, tag, targets
):
    rows = [client(f"sig{n}.{tag}@example.org", f"Sig{n} Term") for n in range(12)]
    emails = [row.natural_key for row in rows]
    write_plan(settings, unpaced(CLIENTS), rows)

    process = push_process(settings)
    first_written(process, targets, emails)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("interrupted: run ") and "recorded as interrupted after" in last
    assert "run `ledgerlink push` again to finish" in last
    [(status, created)] = ledger_rows(settings, "select status, created from ops.sync_runs")
    assert status == "interrupted" and 0 < created < len(rows)
    assert f"{created} created" in last
    assert "interrupted" in ledgerlink_status(settings)

    missing = [email for email in emails if not targets.clients(email)]
    process = push_process(settings)
    first_written(process, targets, missing)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    shown = ledgerlink_status(settings)
    assert "crashed" in shown and "stopped without finishing" in shown, shown

    finish = push_process(settings)
    _, stderr = finish.communicate(timeout=120)
    assert finish.returncode == 0, stderr
    runs = ledger_rows(settings, "select status from ops.sync_runs order by started_at")
    assert [status for (status,) in runs] == ["interrupted", "crashed", "succeeded"]
    assert {email: len(targets.clients(email)) for email in emails} == dict.fromkeys(emails, 1)
