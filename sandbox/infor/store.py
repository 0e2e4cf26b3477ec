"""SQLite tables of the emulated M3 company: key columns for look-ups, the M3 record as JSON.

Each row keeps the record's M3 fields (all strings) in `doc`, so a transaction answers with the
fields its contract declares, and the columns beside it are only what the lists filter, sort or
page on. Every change stamps `LMDT` (YYYYMMDD), `LMTS` (epoch milliseconds), `CHNO` and `CHID`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.clock import SandboxClock
from sandbox.database import Database
from sandbox.infor.company import API_USER
from sandbox.infor.tenant import DEFAULT, Tenant
from sandbox.infor.values import epoch_ms, hms, ymd

SCHEMA = """
create table customers (cuno text primary key, cunm text not null, lmts integer not null,
    doc text not null);
create index customers_name on customers (cunm, cuno);
create index customers_lmts on customers (lmts);
create table orders (batch_no text primary key, orno text unique, cuno text not null,
    cuor text not null, orst text not null, confirmed_ms integer, delivered_ms integer,
    lmts integer not null, doc text not null);
create index orders_customer on orders (cuno, orno);
create index orders_cuor on orders (cuor);
create index orders_status on orders (orst);
create table order_lines (batch_no text not null, ponr integer not null, posx integer not null,
    doc text not null, primary key (batch_no, ponr, posx));
create table deliveries (dlix integer primary key, orno text not null, lmts integer not null,
    doc text not null);
create index deliveries_order on deliveries (orno);
create table delivery_lines (dlix integer not null, ponr integer not null, posx integer not null,
    orno text not null, lmts integer not null, doc text not null,
    primary key (dlix, ponr, posx));
create index delivery_lines_order on delivery_lines (orno, ponr, posx);
create table invoices (ivno integer primary key, yea4 integer not null, orno text not null,
    cuno text not null, lmts integer not null, doc text not null);
create index invoices_order on invoices (orno);
create index invoices_year on invoices (yea4, ivno);
create table ar_items (yea4 integer not null, jrno integer not null, jsno integer not null,
    cuno text not null, cino text not null, inyr integer not null, trcd text not null,
    lmts integer not null, doc text not null, primary key (yea4, jrno, jsno));
create index ar_items_customer on ar_items (cuno, trcd, yea4, jrno);
create index ar_items_invoice on ar_items (cino, inyr);
create table bank_ids (bsid text primary key, doc text not null);
create table statements (jbno integer primary key, bsid text not null, stmn text not null,
    doc text not null, unique (bsid, stmn));
create table statement_lines (jbno integer not null, blsn integer not null, doc text not null,
    primary key (jbno, blsn));
create table statement_details (jbno integer not null, blsn integer not null,
    blss integer not null, doc text not null, primary key (jbno, blsn, blss));
create table gl_batches (key1 text primary key, state text not null, doc text not null);
create table gl_batch_lines (key1 text not null, line integer not null, doc text not null,
    primary key (key1, line));
create table gl_lines (yea4 integer not null, jrno integer not null, jsno integer not null,
    vono integer not null, acdt text not null, lmts integer not null, doc text not null,
    primary key (yea4, jrno, jsno));
create index gl_lines_date on gl_lines (acdt, yea4, jrno, jsno);
create index gl_lines_voucher on gl_lines (yea4, vono, jsno);
create table accounts (aitp integer not null, aitm text not null, doc text not null,
    primary key (aitp, aitm));
create table items (itno text primary key, lmdt text not null, lmts integer not null,
    doc text not null);
create index items_lmdt on items (lmdt, itno);
create table item_balances (whlo text not null, itno text not null, doc text not null,
    lmts integer not null default 0, primary key (whlo, itno));
create index item_balances_item on item_balances (itno, lmts);
create table suppliers (suno text primary key, lmts integer not null, doc text not null);
create index suppliers_lmts on suppliers (lmts);
create table supplier_refs (suno text not null, rfty text not null, rfid text not null,
    doc text not null, primary key (suno, rfty, rfid));
create table purchase_orders (puno text primary key, suno text not null, doc text not null);
create table purchase_lines (puno text not null, pnli integer not null, doc text not null,
    primary key (puno, pnli));
create table purchase_entries (msgn text primary key, puno text, doc text not null);
create index purchase_entries_po on purchase_entries (puno);
create table purchase_entry_lines (msgn text not null, pnli integer not null, doc text not null,
    primary key (msgn, pnli));
create table supplier_invoices (inbn integer primary key, suno text not null,
    spyn text not null, sino text not null, supa text not null, doc text not null);
create index supplier_invoices_number on supplier_invoices (spyn, suno, sino);
create table supplier_invoice_lines (inbn integer not null, trno integer not null,
    doc text not null, primary key (inbn, trno));
create table ap_items (yea4 integer not null, jrno integer not null, jsno integer not null,
    suno text not null, sino text not null, trcd text not null, lmts integer not null,
    doc text not null, primary key (yea4, jrno, jsno));
create index ap_items_invoice on ap_items (suno, sino, trcd);
create table sequences (name text primary key, value integer not null);
"""
TABLES = tuple(line.split()[2] for line in SCHEMA.splitlines() if line.startswith("create table"))


@dataclass(frozen=True)
class Stamp:
    """When a change happened, in the shapes M3 records it."""

    moment: datetime
    lmts: int

    @property
    def lmdt(self) -> str:
        return ymd(self.moment)

    @property
    def time(self) -> str:
        return hms(self.moment)


def stamp_at(moment: datetime) -> Stamp:
    return Stamp(moment, epoch_ms(moment))


def touch(doc: dict[str, str], stamp: Stamp, user: str = API_USER, *, new: bool = False) -> None:
    """Mark `doc` as changed (or created) at `stamp`."""
    if new:
        doc["RGDT"], doc["RGTM"], doc["CHNO"] = stamp.lmdt, stamp.time, "1"
    else:
        doc["CHNO"] = str(int(doc.get("CHNO") or "0") % 999 + 1)
    doc["LMDT"], doc["LMTS"], doc["CHID"] = stamp.lmdt, str(stamp.lmts), user


class Store:
    """The emulator's tables, the tenant they belong to, and the clock that stamps changes."""

    def __init__(self, db: Database, clock: SandboxClock, tenant: Tenant = DEFAULT) -> None:
        self.db = db
        self.clock = clock
        self.tenant = tenant
        self._last_lmts = 0
        self._stamp_lock = threading.Lock()

    # --- schema -------------------------------------------------------------------------------
    def create(self) -> None:
        drops = "".join(f"drop table if exists {table};\n" for table in TABLES)
        self.db.script(drops + SCHEMA)
        self._last_lmts = 0

    def counts(self) -> dict[str, int]:
        return {table: self.db.scalar(f"select count(*) from {table}") for table in TABLES}

    # --- time ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def stamp(self) -> Stamp:
        """Now, with an LMTS above every earlier one, so `LMTS >= cursor` never misses a change."""
        moment = self.now()
        with self._stamp_lock:
            lmts = max(epoch_ms(moment), self._last_lmts + 1)
            self._last_lmts = lmts
        return Stamp(moment, lmts)

    def server_lmts(self) -> int:
        """An LMTS a client may keep as its next cursor: no later change is stamped below it."""
        with self._stamp_lock:
            return max(epoch_ms(self.now()), self._last_lmts + 1)

    # --- numbers ------------------------------------------------------------------------------
    def next_number(self, name: str, first: int = 1) -> int:
        current = self.db.scalar("select value from sequences where name = ?", (name,))
        value = first if current is None else current + 1
        self.db.execute("insert or replace into sequences values (?, ?)", (name, value))
        return value

    def set_number(self, name: str, value: int) -> None:
        self.db.execute("insert or replace into sequences values (?, ?)", (name, value))

    # --- rows ---------------------------------------------------------------------------------
    def insert(self, table: str, columns: dict[str, Any], doc: dict[str, str]) -> None:
        names = [*columns, "doc"]
        marks = ", ".join("?" for _ in names)
        values = [*columns.values(), json.dumps(doc, separators=(",", ":"))]
        self.db.execute(f"insert into {table} ({', '.join(names)}) values ({marks})", values)

    def insert_many(
        self, table: str, column_names: Sequence[str], rows: Iterable[tuple[Any, ...]]
    ) -> None:
        """Rows are (columns..., doc dict); used by the seeding, inside one transaction."""
        names = [*column_names, "doc"]
        marks = ", ".join("?" for _ in names)
        sql = f"insert into {table} ({', '.join(names)}) values ({marks})"
        self.db.executemany(
            sql, ((*row[:-1], json.dumps(row[-1], separators=(",", ":"))) for row in rows)
        )

    def docs(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, str]]:
        """Run a query whose first column is `doc`; the records it selects."""
        return [json.loads(row[0]) for row in self.db.all(sql, params)]

    def doc(self, sql: str, params: Sequence[Any] = ()) -> dict[str, str] | None:
        row = self.db.one(sql, params)
        return None if row is None else json.loads(row[0])

    def save(self, table: str, where: dict[str, Any], doc: dict[str, str], **columns: Any) -> None:
        """Write back a changed record (and any key columns that follow it)."""
        sets = {**columns, "doc": json.dumps(doc, separators=(",", ":"))}
        assignments = ", ".join(f"{name} = ?" for name in sets)
        condition = " and ".join(f"{name} = ?" for name in where)
        self.db.execute(
            f"update {table} set {assignments} where {condition}",
            [*sets.values(), *where.values()],
        )
