"""The DuckDB warehouse: where it is, the one-writer lock, and the snapshot readers read.

DuckDB lets one process write a file and no other process open it meanwhile, not even to read.
So every command that writes takes one lock for its whole run (nested takes in the same process
share it), and a second writer fails at once with "warehouse busy". Commands and pages that
only read never open the warehouse: they read a snapshot (`ops`, `sync`, `marts`, the mapping
tables and `intermediate`) that the writer publishes, in one atomic rename, when it lets the
lock go.

The warehouse holds the books of both systems, so it is its owner's only: while a command holds
the lock, the process's umask is 077, so what DuckDB, dlt and dbt create (the warehouse, its
WAL, the snapshot) is 0600 from its first byte; the lock file is created 0600, and files an
older version left readable by others are tightened when the lock is taken and let go.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ledgerlink.auth.files import open_private, private_folder, tighten_files
from ledgerlink.errors import LedgerlinkError
from ledgerlink.log import get_logger
from ledgerlink.settings import Settings

log = get_logger("ledgerlink.warehouse")

# What readers see: the ledger, the planned syncs and what they held back, the marts, mappings,
# and intermediate (what enrichment matched, for the console).
SNAPSHOT_SCHEMAS = ("ops", "sync", "marts", "mappings", "intermediate")

_held: dict[Path, int] = {}  # warehouse -> how deeply this process holds its lock
_held_guard = threading.Lock()


class WarehouseBusy(LedgerlinkError):
    """Another process is writing the warehouse (DuckDB allows one writer per file)."""


class NoSnapshot(LedgerlinkError):
    """Nothing has written the warehouse yet, so there is nothing to read."""


@contextmanager
def writer_lock(settings: Settings, purpose: str, *, publish: bool = True) -> Iterator[Path]:
    """Hold the warehouse's writer lock for `purpose`, or fail at once with a clear message.

    A command takes it once around everything it writes; the steps inside take it again and
    share it. When the outermost holder lets go, it publishes the readers' snapshot (unless
    `publish` is off: raw loads change nothing readers see).
    """
    path = settings.warehouse
    with _held_guard:
        depth = _held.get(path, 0)
        if depth:
            _held[path] = depth + 1
    if depth:
        try:
            yield path
        finally:
            with _held_guard:
                _held[path] -= 1
        return
    private_folder(settings.home)
    private_folder(path.parent, tighten=False, setting="LEDGERLINK_WAREHOUSE")
    lock_path = path.with_name(path.name + ".lock")
    handle = os.fdopen(open_private(lock_path), "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise WarehouseBusy(
                f"warehouse busy: {holder} is writing {path}; try again when it finishes"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{purpose} (pid {os.getpid()})")
        handle.flush()
        tighten_files(path, wal_of(path))
        with _held_guard:
            _held[path] = 1
        # Process-wide, for the command's run: what it creates meanwhile is the owner's only.
        previous_umask = os.umask(0o077)
        try:
            yield path
        finally:
            with _held_guard:
                _held.pop(path, None)
            try:
                if publish and path.exists():
                    publish_snapshot(settings, purpose)
            finally:
                os.umask(previous_umask)
                tighten_files(path, wal_of(path))
            handle.seek(0)
            handle.truncate()  # no holder's name left behind
    finally:
        handle.close()


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def connect(settings: Settings, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse; close it before dlt or dbt need the file."""
    return duckdb.connect(str(settings.warehouse), read_only=read_only)


def snapshot_path(settings: Settings) -> Path:
    return settings.warehouse.with_name(settings.warehouse.stem + ".snapshot.duckdb")


def publish_snapshot(
    settings: Settings, purpose: str = "", connection: duckdb.DuckDBPyConnection | None = None
) -> None:
    """Copy what readers see into a new file and put it in place of the last one in one rename.
    `connection`: the writer's own, while it holds the warehouse open. A failure is logged,
    never raised: the command that wrote has done its work."""
    target = snapshot_path(settings)
    building = target.with_name(target.name + ".building")
    building.unlink(missing_ok=True)
    try:
        if connection is not None:  # the writer's connection takes the new file in
            connection.execute(f"attach '{building}' as snapshot_building")
            try:
                (source,) = connection.execute("select current_database()").fetchone()
                _copy(connection, source, "snapshot_building", purpose)
            finally:
                connection.execute("detach snapshot_building")
        else:  # a new file takes the warehouse in, read-only
            with duckdb.connect(str(building)) as con:
                con.execute(f"attach '{settings.warehouse}' as written (read_only)")
                (building_catalog,) = con.execute("select current_database()").fetchone()
                _copy(con, "written", building_catalog, purpose)
                con.execute("detach written")
        os.chmod(building, 0o600)
        building.replace(target)
    except (duckdb.Error, OSError) as exc:
        building.unlink(missing_ok=True)
        log.warning(f"the readers' snapshot was not refreshed: {exc}")


def _copy(con: duckdb.DuckDBPyConnection, source: str, into: str, purpose: str) -> None:
    """The snapshot's schemas of catalog `source` into catalog `into`, with when and by what."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = ? and schema_name in "
        f"({', '.join(repr(s) for s in SNAPSHOT_SCHEMAS)})",
        [source],
    ).fetchall()
    for schema in sorted({schema for schema, _ in tables}):
        con.execute(f'create schema if not exists "{into}"."{schema}"')
    for schema, table in tables:
        con.execute(
            f'create table "{into}"."{schema}"."{table}" as '
            f'select * from "{source}"."{schema}"."{table}"'
        )
    # the raw tables' columns (not their rows): what a source sent that dbt does not declare yet
    con.execute(
        f'create table "{into}".main.raw_columns as select schema_name, table_name, '
        "column_name, data_type from duckdb_columns() where database_name = ? "
        "and schema_name like 'raw\\_%' escape '\\'",
        [source],
    )
    con.execute(
        f'create table "{into}".main.snapshot_info as select ?::timestamptz as published_at, '
        "?::varchar as published_by",
        [datetime.now(UTC), purpose],
    )


@contextmanager
def read_snapshot(settings: Settings) -> Iterator[tuple[duckdb.DuckDBPyConnection, datetime]]:
    """The last published snapshot, read-only, and when it was published. Never waits for a
    writer and never keeps one from starting."""
    path = snapshot_path(settings)
    if not path.exists():
        raise NoSnapshot(
            f"nothing to show yet: no command has written {settings.warehouse} (run "
            "`ledgerlink sync`, or `make demo` for the sandbox)"
        )
    with duckdb.connect(str(path), read_only=True) as con:
        (published_at,) = con.execute("select published_at from snapshot_info").fetchone()
        yield con, published_at
