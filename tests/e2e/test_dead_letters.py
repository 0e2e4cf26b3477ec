"""A write Infor keeps refusing becomes a dead letter with Infor's message; after the cause is
fixed, `dlq replay` writes it exactly once, the letter is resolved, and replaying it again is
refused (it used to reopen the written record and wedge `sync_health`)."""

from __future__ import annotations

import duckdb
import httpx
import pytest
from conftest import start_from_built
from typer.testing import CliRunner

from ledgerlink.cli import app
from ledgerlink.dbt import build_models
from ledgerlink.warehouse import connect, writer_lock
from pipelines.extract import extract
from reverse_etl.ledger import Ledger
from reverse_etl.runner import Pusher, PushReport, select_syncs
from reverse_etl.targets import TargetWriters

JOURNALS = ["infor_gl_journals"]


def push(settings) -> PushReport:
    with (
        writer_lock(settings, "test push"),
        connect(settings, read_only=False) as con,
        TargetWriters(settings) as writers,
    ):
        return Pusher(con, writers).push(select_syncs(JOURNALS))


@pytest.fixture(scope="module")
def infor_url(built_world, sandbox: dict, module_settings) -> str:
    start_from_built(built_world, sandbox, module_settings)
    return sandbox["urls"]["infor"]


def test_refused_journals_become_dead_letters_then_replay_exactly_once(
    infor_url, module_settings, monkeypatch
):
    refusal = {
        "program": "GLS840MI",
        "transaction": "AddBatchLineFld",
        "errorCode": "XIM0002",
        "errorMessage": "Account does not exist",
        "field": "AIT1",
        "count": 10_000,
    }
    httpx.post(f"{infor_url}/_sandbox/infor/faults", json=refusal, timeout=10).raise_for_status()
    try:
        reports = [push(module_settings) for _ in range(3)]  # max_attempts is 3
    finally:
        httpx.delete(f"{infor_url}/_sandbox/infor/faults", timeout=10)
    planned = reports[0].total("failed")
    assert planned > 0
    assert reports[-1].total("dead_lettered") == planned
    assert not reports[-1].ok

    with connect(module_settings, read_only=False) as con:
        letters = Ledger(con).dead_letters()
    assert len(letters) == planned
    assert all(
        "Account does not exist" in letter["reason"] and letter["error_code"] == "XIM0002"
        for letter in letters
    )

    # The cause is fixed (the fault is gone): replay every dead letter through the command line.
    monkeypatch.setenv("LEDGERLINK_HOME", str(module_settings.home))
    runner = CliRunner()
    for letter in letters:
        result = runner.invoke(app, ["dlq", "replay", letter["intent_key"][:16]])
        assert result.exit_code == 0, result.output
    replayed = push(module_settings)
    assert replayed.total("created") == planned and replayed.ok
    assert push(module_settings).total("created") == 0  # nothing twice

    with connect(module_settings, read_only=False) as con:
        resolved = Ledger(con).dead_letters("resolved")
    assert sorted(d["intent_key"] for d in resolved) == sorted(d["intent_key"] for d in letters)
    again = runner.invoke(app, ["dlq", "replay", letters[0]["intent_key"][:16]])
    assert again.exit_code == 1
    assert again.output.strip() == (
        f"error: infor gl_journals {letters[0]['natural_key']} is already written as "
        f"{letters[0]['natural_key']} (created); nothing to replay"
    )
    assert push(module_settings).ok  # the refused replay changed nothing

    extract(module_settings, ["infor"])
    # sync_health and its tests (the counts add up) on the ledger as the replays left it
    build_models(module_settings, "stg_infor__gl_voucher_lines", "+sync_health")
    with duckdb.connect(str(module_settings.warehouse), read_only=True) as con:
        per_key = con.execute(
            "select split_part(voucher_text, ' ', 1) as key1, count(distinct journal_number) "
            "from staging.stg_infor__gl_voucher_lines where voucher_text like 'FB-EXP-%' group by 1"
        ).fetchall()
    assert len(per_key) == planned
    assert all(vouchers == 1 for _, vouchers in per_key)
