"""SQLite tables of the FreshBooks emulator and the queries the routes need.

Each accounting resource is one table: `id`, `vis_state`, `updated` and `created` (stored UTC),
indexed copies of the searchable fields, and `data`, the record's own fields as JSON (money as
exact strings). Invoice lines live in their own table, keyed by invoice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sandbox.database import Database
from sandbox.freshbooks.resources import RESOURCES, Resource

PER_PAGE_DEFAULT = 15
PER_PAGE_MAX = 100


@dataclass
class Record:
    id: int
    vis_state: int
    updated: str
    created: str
    data: dict[str, Any]


def dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"))


def schema_sql() -> str:
    statements = []
    for r in RESOURCES:
        extra = "".join(f", {column}" for column in r.columns)
        statements.append(f"drop table if exists {r.table}")
        statements.append(
            f"create table {r.table} (id integer primary key, vis_state integer not null default 0,"
            f" updated text not null, created text not null{extra}, data text not null)"
        )
    statements += [
        "drop table if exists invoice_lines",
        "create table invoice_lines (invoiceid integer not null, lineid integer not null,"
        " data text not null, primary key (invoiceid, lineid)) without rowid",
    ]
    return ";\n".join(statements) + ";"


def index_sql() -> str:
    """Indexes, created after a bulk load (faster than maintaining them row by row). Each one
    carries vis_state, so counting a filtered list never touches the table."""
    statements = []
    for r in RESOURCES:
        for column in ("updated", "vis_state", *r.columns):
            columns = column if column == "vis_state" else f"{column}, vis_state"
            statements.append(f"create index {r.table}_{column} on {r.table} ({columns})")
    return ";\n".join(statements) + ";"


def insert_sql(resource: Resource) -> str:
    columns = ("id", "vis_state", "updated", "created", *resource.columns, "data")
    marks = ", ".join("?" for _ in columns)
    return f"insert into {resource.table} ({', '.join(columns)}) values ({marks})"


def insert_row(resource: Resource, record: Record) -> tuple:
    copies = tuple(record.data.get(column) for column in resource.columns)
    return (
        record.id,
        record.vis_state,
        record.updated,
        record.created,
        *copies,
        dumps(record.data),
    )


def _record(row: sqlite3.Row) -> Record:
    return Record(
        row["id"], row["vis_state"], row["updated"], row["created"], json.loads(row["data"])
    )


class Store:
    """Typed access to the tables; all writes go through `transaction()` for atomicity."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reads ---------------------------------------------------------------------------------
    def get(self, resource: Resource, record_id: int) -> Record | None:
        row = self.db.one(f"select * from {resource.table} where id = ?", (record_id,))
        return None if row is None else _record(row)

    def page(
        self,
        resource: Resource,
        where: Sequence[str],
        params: Sequence[Any],
        order: str,
        limit: int,
        offset: int,
    ) -> tuple[list[Record], int]:
        clause = f" where {' and '.join(where)}" if where else ""
        total = self.db.scalar(f"select count(*) from {resource.table}{clause}", params)
        rows = self.db.all(
            f"select * from {resource.table}{clause} order by {order} limit ? offset ?",
            (*params, limit, offset),
        )
        return [_record(row) for row in rows], total

    def by_ids(self, resource: Resource, ids: Iterable[int]) -> list[Record]:
        return self.by_column(resource, "id", list(ids))

    def by_column(self, resource: Resource, column: str, values: list[Any]) -> list[Record]:
        """Records whose indexed `column` is one of `values`, in id order."""
        if not values:
            return []
        marks = ", ".join("?" for _ in values)
        rows = self.db.all(
            f"select * from {resource.table} where {column} in ({marks}) order by id", values
        )
        return [_record(row) for row in rows]

    def lines_for(self, invoice_ids: Iterable[int]) -> dict[int, list[dict]]:
        ids = list(invoice_ids)
        found: dict[int, list[dict]] = {i: [] for i in ids}
        if not ids:
            return found
        marks = ", ".join("?" for _ in ids)
        rows = self.db.all(
            f"select invoiceid, data from invoice_lines where invoiceid in ({marks})"
            " order by invoiceid, lineid",
            ids,
        )
        for row in rows:
            found[row["invoiceid"]].append(json.loads(row["data"]))
        return found

    def exists(self, resource: Resource, record_id: int, *, include_deleted: bool = False) -> bool:
        sql = f"select 1 from {resource.table} where id = ?"
        if not include_deleted:
            sql += " and vis_state != 1"
        return self.db.one(sql, (record_id,)) is not None

    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for r in RESOURCES:
            rows = self.db.all(f"select vis_state, count(*) as n from {r.table} group by vis_state")
            per_state = {str(state): 0 for state in (0, 1, 2)}
            per_state.update({str(row["vis_state"]): row["n"] for row in rows})
            counts[r.plural] = {**per_state, "total": sum(per_state.values())}
        counts["invoice_lines"] = {"total": self.db.scalar("select count(*) from invoice_lines")}
        return counts

    # --- writes (call inside `transaction()`) --------------------------------------------------
    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.db.transaction()

    @staticmethod
    def insert(conn: sqlite3.Connection, resource: Resource, record: Record) -> int:
        cursor = conn.execute(insert_sql(resource), insert_row(resource, record))
        return int(cursor.lastrowid)

    @staticmethod
    def next_id(conn: sqlite3.Connection, resource: Resource) -> int:
        return int(
            conn.execute(f"select coalesce(max(id), 0) + 1 from {resource.table}").fetchone()[0]
        )

    @staticmethod
    def save(conn: sqlite3.Connection, resource: Resource, record: Record) -> None:
        sets = ", ".join(
            f"{column} = ?" for column in ("vis_state", "updated", *resource.columns, "data")
        )
        copies = tuple(record.data.get(column) for column in resource.columns)
        conn.execute(
            f"update {resource.table} set {sets} where id = ?",
            (record.vis_state, record.updated, *copies, dumps(record.data), record.id),
        )

    @staticmethod
    def replace_lines(conn: sqlite3.Connection, invoice_id: int, lines: list[dict]) -> None:
        conn.execute("delete from invoice_lines where invoiceid = ?", (invoice_id,))
        conn.executemany(
            "insert into invoice_lines (invoiceid, lineid, data) values (?, ?, ?)",
            [(invoice_id, line["lineid"], dumps(line)) for line in lines],
        )

    @staticmethod
    def read(conn: sqlite3.Connection, resource: Resource, record_id: int) -> Record | None:
        row = conn.execute(f"select * from {resource.table} where id = ?", (record_id,)).fetchone()
        return None if row is None else _record(row)

    @staticmethod
    def read_lines(conn: sqlite3.Connection, invoice_id: int) -> list[dict]:
        rows = conn.execute(
            "select data from invoice_lines where invoiceid = ? order by lineid", (invoice_id,)
        ).fetchall()
        return [json.loads(row["data"]) for row in rows]
