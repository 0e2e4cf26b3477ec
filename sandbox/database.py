"""A small SQLite database per emulator: state survives restarts and large scales stay on disk."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any


class Database:
    """Thread-safe wrapper: one connection, one lock, JSON helpers for stored documents."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("pragma journal_mode=wal")
        self._conn.execute("pragma synchronous=normal")
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("begin immediate")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("rollback")
                raise
            self._conn.execute("commit")

    def execute(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        with self._lock:
            self._conn.executemany(sql, rows)

    def script(self, sql: str) -> None:
        with self._lock:
            self._conn.executescript(sql)

    def all(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def copy_to(self, path: Path) -> None:
        """Write a consistent copy of the whole database to `path` (SQLite's online backup)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        with self._lock, closing(sqlite3.connect(path)) as target:
            self._conn.backup(target)

    def copy_from(self, path: Path) -> None:
        """Replace the whole database with the copy at `path`."""
        with self._lock, closing(sqlite3.connect(path)) as source:
            source.backup(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), default=str)


def loads(text: str) -> Any:
    return json.loads(text)
