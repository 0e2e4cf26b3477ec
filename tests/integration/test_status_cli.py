"""`ledgerlink status` reads the ledger without writing, and says what to do when it is empty."""

from __future__ import annotations

from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect
from reverse_etl.ledger import Ledger


def status(settings: Settings) -> str:
    result = CliRunner().invoke(cli, ["status"], env={"LEDGERLINK_HOME": str(settings.home)})
    assert result.exit_code == 0, result.output
    return result.output


def test_without_a_warehouse_it_says_how_to_get_one(settings: Settings):
    assert "no warehouse yet: run `ledgerlink sync`" in status(settings)


def test_it_shows_runs_outcomes_and_open_dead_letters(settings: Settings):
    with connect(settings, read_only=False) as con:
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
