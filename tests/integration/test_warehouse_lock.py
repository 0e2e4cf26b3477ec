"""The writer lock and the readers' snapshot: one writer per command (nested takes share it), a
second writer fails at once, and readers read a snapshot while a writer holds the lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from ledgerlink.settings import load_settings
from ledgerlink.warehouse import (
    NoSnapshot,
    WarehouseBusy,
    read_snapshot,
    snapshot_path,
    writer_lock,
)

HOLD = textwrap.dedent(
    """
    import sys, time
    from ledgerlink.settings import load_settings
    from ledgerlink.warehouse import writer_lock
    settings = load_settings(ledgerlink_home=sys.argv[1])
    with writer_lock(settings, "sync (held by a test)"):
        print("held", flush=True)
        time.sleep(30)
    """
)


@pytest.fixture
def settings(tmp_path: Path):
    return load_settings(ledgerlink_home=tmp_path / ".ledgerlink")


def write_ledger(settings, rows: int) -> None:
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema if not exists ops")
        con.execute(
            "create or replace table ops.sync_runs as select range as n from range(?)", [rows]
        )
        con.execute("create schema if not exists raw_freshbooks")
        con.execute("create or replace table raw_freshbooks.clients as select 1 as id")


def test_a_command_holds_the_lock_once_and_its_steps_share_it(settings):
    with writer_lock(settings, "sync"), writer_lock(settings, "extract"):
        write_ledger(settings, 3)
        with writer_lock(settings, "dbt build"):
            pass
        assert not snapshot_path(settings).exists()  # published when the command lets go
    with read_snapshot(settings) as (con, published_at):
        assert con.execute("select count(*) from ops.sync_runs").fetchone() == (3,)
        assert published_at is not None
        schemas = {s for (s,) in con.execute("select schema_name from duckdb_schemas()").fetchall()}
        assert "raw_freshbooks" not in schemas  # readers see ops, sync, marts, mappings


def test_a_second_writer_fails_at_once_and_readers_read_the_snapshot_meanwhile(settings):
    with writer_lock(settings, "sync"):
        write_ledger(settings, 2)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(settings.home)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = r"sync \(held by a test\) \(pid \d+\) is writing"
        with pytest.raises(WarehouseBusy, match=busy), writer_lock(settings, "extract"):
            pass
        with read_snapshot(settings) as (con, _):
            assert con.execute("select count(*) from ops.sync_runs").fetchone() == (2,)
    finally:
        holder.kill()
        holder.wait()
    with writer_lock(settings, "after a crash"):  # a killed holder leaves nothing stuck
        pass
    assert (settings.warehouse.with_name("warehouse.duckdb.lock")).read_text() == ""


def test_nothing_to_read_before_anything_was_written(settings):
    with pytest.raises(NoSnapshot, match="run `ledgerlink sync`"), read_snapshot(settings):
        pass
