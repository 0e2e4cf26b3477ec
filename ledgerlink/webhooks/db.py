"""The inbox's SQLite file: owner-only, WAL, one connection per thread, short write transactions.

The receiver writes from many threads while the Dagster sensor reads (and marks events drained)
from another process. WAL lets the reader run beside a writer; `BEGIN IMMEDIATE` takes the
write lock up front so two writers queue on the busy timeout instead of failing halfway through
a transaction. `synchronous=FULL` because a row we acked must survive a power cut: the sender
will not deliver it again.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from ledgerlink.auth.files import private_file, private_folder, tighten_files

BUSY_TIMEOUT_MS = 30_000
SCHEMA = """
create table if not exists events (
    id integer primary key autoincrement,
    source text not null check (source in ('freshbooks', 'shop')),
    topic text not null,
    object_id text,
    account_id text,
    dedup_key text not null,
    received_at text not null,
    occurred_at text,
    payload text not null,
    drained_at text
);
create index if not exists events_undrained on events (id) where drained_at is null;
create table if not exists seen (
    source text not null,
    dedup_key text not null,
    first_seen real not null,
    expires_at real not null,
    primary key (source, dedup_key)
) without rowid;
create index if not exists seen_expiry on seen (expires_at);
create table if not exists freshbooks_verifiers (
    callback_id integer not null,
    verifier text not null,
    account_id text not null,
    state text not null check (state in ('pending', 'trusted')),
    updated_at text not null,
    primary key (callback_id, verifier)
);
"""


def _private_file(path: Path) -> None:
    """Create `path` readable by its owner only: it holds FreshBooks verifiers."""
    private_folder(path.parent)
    private_file(path)
    _tighten(path)


def _tighten(path: Path) -> None:
    # SQLite gives -wal and -shm the database file's mode; tighten an older, looser file too.
    tighten_files(path, Path(f"{path}-wal"), Path(f"{path}-shm"))


_WRITE_LOCKS: dict[Path, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: Path) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(path, threading.Lock())


class InboxDatabase:
    """Connections to one inbox file, one per thread (sqlite3 connections are not shareable).

    Writers in this process queue on a lock before asking SQLite: its busy handler polls with
    growing sleeps, so under a burst some writers would wait seconds while others go first.
    Other processes (the sensor) still meet us at SQLite's lock, under the busy timeout.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path).resolve()
        _private_file(self.path)
        self._write_lock = _write_lock(self.path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        with self.write() as conn:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        _tighten(self.path)

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # Autocommit mode: transactions are explicit (`write`), each read is its own snapshot.
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("pragma journal_mode = wal")
            conn.execute("pragma synchronous = full")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the file's write lock from its first statement."""
        conn = self.connection()
        with self._write_lock:
            conn.execute("begin immediate")
            try:
                yield conn
            except BaseException:
                conn.execute("rollback")
                raise
            conn.execute("commit")

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()
