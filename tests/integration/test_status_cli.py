"""`ledgerlink status` reads the ledger without writing, and says what to do when it is empty."""

from __future__ import annotations

from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from reverse_etl.ledger import Ledger


def status(settings: Settings) -> str:
    result = CliRunner().invoke(cli, ["status"], env={"LEDGERLINK_HOME": str(settings.home)})
    assert result.exit_code == 0, result.output
    return result.output


def test_without_a_warehouse_it_says_how_to_get_one(settings: Settings):
    assert "nothing written yet: run `ledgerlink sync`" in status(settings)


def test_it_shows_runs_outcomes_and_open_dead_letters(settings: Settings):
    with writer_lock(settings, "test"), connect(settings, read_only=False) as con:
        ledger = Ledger(con)
        run = ledger.start_run("sync")
        done = ledger.record_intent("infor", "customers", "FB1", "h1", "create", run)
        ledger.record_outcome(done.key, "created", target_id="FB1")
        refused = ledger.record_intent("infor", "gl_journals", "FB-EXP-1", "h2", "create", run)
        ledger.dead_letter(refused, {"KEY1": "FB-EXP-1"}, "Account is blocked", "XBL0001")
        ledger.finish_run(run, "failed", {"created": 1, "dead_lettered": 1})

    shown = status(settings)

    assert run in shown and "failed" in shown
    rows = [line.split() for line in shown.splitlines()]
    assert ["infor", "customers", "created", "1"] in rows
    assert ["infor", "gl_journals", "dead_lettered", "1"] in rows
    assert "open dead letters: 1" in shown


def test_it_counts_each_record_once_and_reads_a_ledger_from_before_the_state_machine(
    settings: Settings,
):
    with writer_lock(settings, "test"), connect(settings, read_only=False) as con:
        ledger = Ledger(con)
        run = ledger.start_run("push")
        for content in ("h1", "h2"):  # the content changed: two intents, one record
            intent = ledger.record_intent("infor", "customers", "FB1", content, "create", run)
            ledger.begin_attempt(intent.key, run)
        ledger.record_outcome(intent.key, "created", target_id="FB1")
        ledger.finish_run(run, "succeeded", {"created": 1})
        # As a ledger written before runs, letters and intents kept these columns.
        for table, column in (
            ("sync_records", "planned_at"),
            ("sync_runs", "alive_until"),
            ("sync_runs", "error"),
            ("dead_letters", "closed_at"),
        ):
            con.execute(f"alter table ops.{table} drop column {column}")

    rows = [line.split() for line in status(settings).splitlines()]

    assert ["infor", "customers", "created", "1"] in rows
    assert not any(row[:3] == ["infor", "customers", "pending"] for row in rows)


def test_a_run_whose_process_died_shows_as_crashed(settings: Settings):
    with writer_lock(settings, "test"), connect(settings, read_only=False) as con:
        run = Ledger(con).start_run("push")
        con.execute("update ops.sync_runs set pid = 2147483646 where run_id = ?", [run])

    shown = status(settings)

    assert [run, "push", "crashed"] == next(
        line.split()[:3] for line in shown.splitlines() if line.startswith(run)
    )
    assert "stopped without finishing" in shown
