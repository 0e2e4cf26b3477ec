"""`ledgerlink dlq`: ids need a few characters and one match; replay and discard go through the
state machine and refuse, in one line, what does not apply; `list` filters by state."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.settings import Settings, load_settings
from ledgerlink.warehouse import connect, writer_lock
from reverse_etl.ledger import Intent, Ledger


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_")):
            monkeypatch.delenv(key)
    (tmp_path / ".ledgerlink").mkdir()
    return load_settings(ledgerlink_home=tmp_path / ".ledgerlink")


def dlq(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["dlq", *args], env={"LEDGERLINK_HOME": str(settings.home)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def refused_journal(settings: Settings, natural_key: str) -> Intent:
    with writer_lock(settings, "test"), connect(settings, read_only=False) as con:
        ledger = Ledger(con)
        run = ledger.start_run("push")
        intent = ledger.record_intent("infor", "gl_journals", natural_key, "h", "create", run)
        ledger.begin_attempt(intent.key, run)
        ledger.dead_letter(intent, {"KEY1": natural_key}, "Account is blocked", "XBL0001")
        ledger.finish_run(run, "failed", {"dead_lettered": 1})
        return intent


def written_by_the_next_push(settings: Settings, intent: Intent) -> None:
    with writer_lock(settings, "test"), connect(settings, read_only=False) as con:
        ledger = Ledger(con)
        run = ledger.start_run("push")
        ledger.begin_attempt(intent.key, run)
        ledger.record_outcome(intent.key, "created", target_id=intent.natural_key)
        ledger.finish_run(run, "succeeded", {"created": 1})


@pytest.mark.parametrize("command", ["show", "replay", "discard"])
@pytest.mark.parametrize("prefix", ["", "a", "  "])
def test_an_empty_or_short_id_is_refused(settings: Settings, command: str, prefix: str):
    refused_journal(settings, "FB-EXP-1")
    code, output = dlq(settings, command, prefix)
    assert code == 1
    assert output.strip().splitlines() == [
        f"error: give at least 4 characters of the dead letter's id, got {prefix.strip()!r} "
        "(`ledgerlink dlq list --status all` shows the ids)"
    ]
    with connect(settings) as con:  # nothing was replayed or discarded
        assert con.execute("select status from ops.dead_letters").fetchall() == [("open",)]


def test_replaying_a_letter_twice_or_after_its_record_was_written_is_refused(settings: Settings):
    intent = refused_journal(settings, "FB-EXP-1")
    code, output = dlq(settings, "replay", intent.key[:8])
    assert code == 0, output
    assert "infor gl_journals FB-EXP-1 will be written by the next push" in output

    code, output = dlq(settings, "replay", intent.key[:8])
    assert code == 1
    assert "the dead letter of infor gl_journals FB-EXP-1 is already replayed" in output
    assert "Traceback" not in output

    written_by_the_next_push(settings, intent)
    code, output = dlq(settings, "replay", intent.key[:8])
    assert (code, output.strip()) == (
        1,
        "error: infor gl_journals FB-EXP-1 is already written as FB-EXP-1 (created); "
        "nothing to replay",
    )
    with connect(settings) as con:
        assert con.execute("select status from ops.sync_records").fetchall() == [("created",)]
        assert con.execute("select status from ops.dead_letters").fetchall() == [("resolved",)]


def test_list_filters_by_state_and_counts_each(settings: Settings):
    kept, dropped, fixed = (refused_journal(settings, f"FB-EXP-{n}") for n in (1, 2, 3))
    assert dlq(settings, "discard", dropped.key[:12])[0] == 0
    assert dlq(settings, "replay", fixed.key[:12])[0] == 0
    written_by_the_next_push(settings, fixed)

    code, output = dlq(settings, "list")
    assert code == 0
    assert kept.key[:12] in output and dropped.key[:12] not in output
    assert "by state: open 1, replayed 0, resolved 1, discarded 1, superseded 0" in output
    assert "--status" in output

    code, output = dlq(settings, "list", "--status", "resolved")
    assert fixed.key[:12] in output and kept.key[:12] not in output
    code, output = dlq(settings, "list", "--all")
    assert all(i.key[:12] in output for i in (kept, dropped, fixed))

    code, output = dlq(settings, "list", "--status", "closed")
    assert code == 1
    assert "unknown dead letter state 'closed': choose open, replayed, resolved" in output

    assert dlq(settings, "discard", dropped.key[:12]) == (
        1,
        "error: the dead letter of infor gl_journals FB-EXP-2 is already discarded (an operator "
        "gave up on it); nothing to discard\n",
    )
