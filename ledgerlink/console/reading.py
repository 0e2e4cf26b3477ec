"""What the pages read: the readers' snapshot, one read-only connection per request.

The console never opens the warehouse itself and never takes its writer lock: a sync runs and
publishes a new snapshot while pages are being served, and a page open on the old one keeps
reading that one (the new file replaces it by a rename).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from ledgerlink.settings import Settings
from ledgerlink.warehouse import read_snapshot


@dataclass
class Snapshot:
    con: duckdb.DuckDBPyConnection
    published_at: datetime

    @property
    def age_seconds(self) -> float:
        return (datetime.now(UTC) - self.published_at).total_seconds()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def value(self, sql: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def has(self, schema: str, table: str) -> bool:
        return bool(
            self.value(
                "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
                [schema, table],
            )
        )

    def columns(self, schema: str, table: str) -> list[str]:
        return [
            name
            for (name,) in self.con.execute(
                "select column_name from duckdb_columns() where schema_name = ? "
                "and table_name = ? order by column_index",
                [schema, table],
            ).fetchall()
        ]


@contextmanager
def snapshot(settings: Settings) -> Iterator[Snapshot]:
    """The last published snapshot (`NoSnapshot` when nothing has written the warehouse)."""
    with read_snapshot(settings) as (con, published_at):
        yield Snapshot(con, published_at)


def age(seconds: float) -> str:
    """An age in words a person reads at a glance."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
