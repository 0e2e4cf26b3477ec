"""The home folder is its owner's only (0700), and so is every file in it that holds a secret or
the books (0600): created so, and tightened on an install an older version left looser."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.connectors.infor import InforClient
from ledgerlink.settings import Settings, load_settings
from ledgerlink.warehouse import connect, writer_lock


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def ordinary_umask() -> Iterator[None]:
    """Files a process makes are 0644 and folders 0755 unless ledgerlink says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def run(home: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, list(args), env={"LEDGERLINK_HOME": str(home)})
    assert result.exit_code == 0, result.output


def test_a_new_home_the_inbox_and_the_warehouse_are_created_private(tmp_path: Path):
    home = tmp_path / "new" / ".ledgerlink"
    run(home, "webhooks", "status")  # opens (creates) the inbox
    assert mode(home) == 0o700
    inbox = home / "inbox.sqlite"
    for path in (inbox, Path(f"{inbox}-wal"), Path(f"{inbox}-shm")):
        if path.exists():
            assert mode(path) == 0o600, path

    settings = load_settings(ledgerlink_home=home)
    with writer_lock(settings, "test"), connect(settings, read_only=False) as con:
        con.execute("create table t as select 1 as x")
        assert mode(settings.warehouse) == 0o600  # so from its first byte
        wal = Path(f"{settings.warehouse}.wal")
        assert not wal.exists() or mode(wal) == 0o600
        dlt_state = home / "dlt" / "pipeline" / "state.json"  # what dlt would make meanwhile
        dlt_state.parent.mkdir(parents=True)
        dlt_state.write_text("{}")
    assert mode(settings.warehouse) == 0o600
    assert mode(Path(f"{settings.warehouse}.lock")) == 0o600
    assert mode(dlt_state) == 0o600 and mode(dlt_state.parent) == 0o700
    assert os.umask(0o022) == 0o022  # the process's own umask is back once the lock is let go


def test_an_older_install_with_loose_modes_is_tightened(tmp_path: Path):
    home = tmp_path / ".ledgerlink"
    home.mkdir(mode=0o755)
    warehouse = home / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()  # 0644, as DuckDB makes it
    lock = home / "warehouse.duckdb.lock"
    lock.write_text("")
    inbox = home / "inbox.sqlite"
    sqlite3.connect(inbox).close()
    tokens = home / "tokens"
    tokens.mkdir(mode=0o755)
    for path in (home, warehouse, lock, inbox, tokens):
        assert mode(path) & 0o077, path  # readable by others to begin with

    run(home, "webhooks", "status")
    settings = load_settings(ledgerlink_home=home)
    with writer_lock(settings, "test"):
        pass
    assert mode(home) == 0o700
    assert mode(warehouse) == mode(lock) == mode(inbox) == 0o600


def test_a_warehouse_outside_the_home_keeps_its_folder_and_is_private(tmp_path: Path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    settings = load_settings(
        ledgerlink_home=tmp_path / ".ledgerlink", warehouse_path=shared / "books.duckdb"
    )
    with writer_lock(settings, "test"), connect(settings, read_only=False) as con:
        con.execute("create table t as select 1 as x")
    assert mode(shared) == 0o755  # the operator's folder, left as chosen
    assert mode(shared / "books.duckdb") == mode(shared / "books.duckdb.lock") == 0o600


def test_no_secret_is_kept_in_dlt_state_or_load_packages(settings: Settings):
    """dlt keeps its pipeline state, traces and load packages under <home>/dlt: none of it may
    hold a credential (the home's 0700 guards the business data in them)."""
    manager = FreshBooksTokenManager(settings)
    authorize_headless(settings, manager)
    with InforClient.from_settings(settings) as infor:
        ion = infor.tokens.renew(from_scratch=True)  # type: ignore[union-attr]
        credentials = infor.credentials
    assert credentials is not None
    off = ",".join(
        f"infor.{name}"
        for name in (
            "customer_orders", "customer_order_lines", "delivery_lines", "deliveries",
            "customer_invoices", "ar_open_items", "gl_voucher_lines", "suppliers", "items",
        )
    )  # fmt: skip
    result = CliRunner().invoke(
        cli,
        ["extract", "--quiet"],
        env={
            "LEDGERLINK_HOME": str(settings.home),
            "LEDGERLINK_DISABLED_ENTITIES": off,
            "FRESHBOOKS_RATE_LIMIT": "500",
            "INFOR_RATE_LIMIT": "500",
            "SHOP_RATE_LIMIT": "500",
        },
    )
    assert result.exit_code == 0, result.output
    secrets = [
        settings.freshbooks_client_secret.get_secret_value(),
        settings.shop_access_token.get_secret_value(),
        credentials.cs.get_secret_value(),
        credentials.saak.get_secret_value(),
        credentials.sask.get_secret_value(),
        ion.access_token.get_secret_value(),
    ]
    current = manager.store.load()
    assert current is not None and current.refresh_token is not None
    secrets += [current.access_token.get_secret_value(), current.refresh_token.get_secret_value()]
    files = [path for path in (settings.home / "dlt").rglob("*") if path.is_file()]
    assert files, "dlt wrote nothing under <home>/dlt"
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"a credential is in {path}"
    assert mode(settings.home) == 0o700
    assert mode(settings.warehouse) == 0o600
