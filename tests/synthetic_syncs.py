"""Small sync plans written straight into a test warehouse, and the targets read back.

A sync model's table holds the rows a writer needs (the leading columns and a few payload
fields), so a test pushes a handful of records to the sandbox through the real planner, ledger
and writers in a second, without building the dbt project. The syncs are the project's own
(`freshbooks_clients`, `infor_customers`), unpaced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from ledgerlink.connectors.freshbooks import FreshBooksClient
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.infor import InforClient, M3NotFound
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from reverse_etl.definitions import SyncDefinition
from reverse_etl.operations import LEADING_COLUMNS
from reverse_etl.runner import ProgressCallback, Pusher, PushReport, WriterFactory, select_syncs
from reverse_etl.targets import TargetWriters

CLIENT_FIELDS = ("email", "fname", "lname", "currency_code")
CUSTOMER_FIELDS = ("CUNO", "CUNM", "CUA1", "TOWN", "CUTM")
CUSTOMER_TEMPLATE = "TPLUSD"  # a CRS610MI template the Infor emulator knows


def unpaced(name: str, **changes: Any) -> SyncDefinition:
    """The project's sync `name` without its pacing (tests measure behaviour, not politeness)."""
    (sync,) = select_syncs([name])
    return sync.model_copy(update={"rate": 10_000.0, **changes})


@dataclass(frozen=True)
class Row:
    """One planned row: the natural key, its payload, the parent it waits for, the operation."""

    natural_key: str
    payload: Mapping[str, Any]
    depends_on: str | None = None
    operation: str = "create"

    def content_hash(self) -> str:
        text = "|".join(f"{k}={self.payload[k]}" for k in sorted(self.payload))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def client(email: str, name: str, *, currency: str = "USD", depends_on: str | None = None) -> Row:
    first, _, last = name.partition(" ")
    payload = {"email": email, "fname": first, "lname": last or first, "currency_code": currency}
    return Row(email.lower(), payload, depends_on)


def customer(number: str, name: str, *, depends_on: str | None = None) -> Row:
    payload = {
        "CUNO": number,
        "CUNM": name,
        "CUA1": "1 Test Street",
        "TOWN": "Austin",
        "CUTM": CUSTOMER_TEMPLATE,
    }
    return Row(number, payload, depends_on)


def write_plan(settings: Settings, sync: SyncDefinition, rows: Iterable[Row]) -> None:
    """Replace the sync model's table with these rows (what `dbt build` would leave)."""
    fields = CLIENT_FIELDS if sync.target == "freshbooks" else CUSTOMER_FIELDS
    columns = (*LEADING_COLUMNS, *fields)
    with connect(settings, read_only=False) as con:
        con.execute("create schema if not exists sync")
        con.execute(
            f"create or replace table sync.{sync.model} ("
            + ", ".join(f'"{c}" varchar' for c in columns)
            + ")"
        )
        for row in rows:
            leading = {
                "sync_key": f"{row.natural_key}|{row.content_hash()}",
                "target": sync.target,
                "entity": sync.entity,
                "natural_key": row.natural_key,
                "operation": row.operation,
                "depends_on": row.depends_on,
                "content_hash": row.content_hash(),
            }
            values = [leading.get(c, row.payload.get(c)) for c in columns]
            con.execute(
                f"insert into sync.{sync.model} values ({', '.join('?' for _ in columns)})", values
            )


def ledger_rows(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


class Targets:
    """What the sandbox holds under the natural keys, read through the connectors."""

    def __init__(self, settings: Settings) -> None:
        self.freshbooks = FreshBooksClient.from_settings(settings)
        self.infor = InforClient.from_settings(settings)

    def clients(self, email: str) -> list[dict[str, Any]]:
        """Every live FreshBooks client with this e-mail (more than one is a duplicate)."""
        search = Search(extra={"email": email})
        return [
            c
            for c in self.freshbooks.list_raw("clients", search=search, include=())
            if str(c.get("email") or "").lower() == email.lower()
        ]

    def customer(self, number: str) -> dict[str, str] | None:
        """The Infor customer's basic data, or None."""
        try:
            return self.infor.m3.execute("CRS610MI", "GetBasicData", {"CUNO": number}).record
        except M3NotFound:
            return None

    def holds(self, sync: SyncDefinition, row: Row) -> bool:
        """Whether the target has the record with this row's content."""
        if sync.target == "freshbooks":
            found = self.clients(row.payload["email"])
            return len(found) == 1 and all(
                str(found[0].get(k) or "") == str(row.payload[k]) for k in ("fname", "lname")
            )
        record = self.customer(row.natural_key)
        return record is not None and record.get("CUNM", "").strip() == row.payload["CUNM"]

    def count(self, sync: SyncDefinition, natural_key: str) -> int:
        """Records under this natural key in the target."""
        if sync.target == "freshbooks":
            return len(self.clients(natural_key))
        return int(self.customer(natural_key) is not None)

    def close(self) -> None:
        self.freshbooks.close()
        self.infor.close()


def push(
    settings: Settings,
    syncs: list[SyncDefinition],
    *,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
    writers: Callable[[TargetWriters], WriterFactory] | None = None,
    settle_seconds: float = 0.5,
) -> PushReport:
    """A dry run or a push of `syncs`, as `ledgerlink push` runs it (`writers` may wrap the
    real writers, e.g. to stop the push from inside a write)."""
    with (
        writer_lock(settings, "test push"),
        connect(settings, read_only=False) as con,
        TargetWriters(settings) as targets,
    ):
        factory = writers(targets) if writers else targets
        pusher = Pusher(con, factory, on_progress, settle_seconds=settle_seconds)
        return pusher.plan(syncs) if dry_run else pusher.push(syncs)
