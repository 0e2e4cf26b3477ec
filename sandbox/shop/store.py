"""The shop's SQLite tables: documents plus the indexed columns its list filters use.

Documents are stored as zlib-compressed JSON (real orders run to several kilobytes each), so
large scales stay small on disk; a list page is served by splicing the stored JSON.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.database import Database
from sandbox.shop.timestamps import sort_key

SCHEMA = """
drop table if exists shop_orders;
drop table if exists shop_customers;
drop table if exists shop_products;
drop table if exists shop_webhooks;
drop table if exists shop_deliveries;
create table shop_orders (
    id integer primary key, order_number integer, customer_id integer,
    created_at text not null, updated_at text not null,
    closed integer not null, cancelled integer not null,
    financial_status text, fulfillment_status text, doc blob not null
);
create index shop_orders_updated on shop_orders (updated_at, id);
create index shop_orders_created on shop_orders (created_at, id);
create index shop_orders_customer on shop_orders (customer_id);
create table shop_customers (
    id integer primary key, email text, created_at text not null, updated_at text not null,
    doc blob not null
);
create index shop_customers_updated on shop_customers (updated_at, id);
create index shop_customers_email on shop_customers (email collate nocase);
create table shop_products (
    id integer primary key, status text, sku text, created_at text not null,
    updated_at text not null, doc blob not null
);
create index shop_products_updated on shop_products (updated_at, id);
create index shop_products_sku on shop_products (sku);
create table shop_webhooks (
    id integer primary key, topic text not null, address text not null, format text not null,
    created_at text not null, updated_at text not null, doc text not null,
    unique (topic, address)
);
create table shop_deliveries (
    webhook_id text primary key, event_id text not null, subscription_id integer,
    topic text not null, address text not null, status text not null, attempts integer not null,
    last_status integer, last_error text, triggered_at text not null, delivered_at text
);
"""

RESOURCES = ("orders", "customers", "products")
TABLES = {"orders": "shop_orders", "customers": "shop_customers", "products": "shop_products"}
SORTABLE = ("id", "created_at", "updated_at")
ORDER_STATUS_SQL = {
    "open": "closed = 0 and cancelled = 0",
    "closed": "closed = 1",
    "cancelled": "cancelled = 1",
    "any": "1 = 1",
}
FULFILLMENT_SQL = {
    "shipped": "fulfillment_status = 'fulfilled'",
    "partial": "fulfillment_status = 'partial'",
    "unshipped": "fulfillment_status is null",
    "unfulfilled": "(fulfillment_status is null or fulfillment_status = 'partial')",
    "any": "1 = 1",
}
FINANCIAL_GROUPS = {"unpaid": ("authorized", "partially_paid"), "any": ()}


def pack(doc: Any) -> bytes:
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 1)


def unpack_json(blob: bytes) -> bytes:
    """The stored document as JSON bytes, ready to be sent."""
    return zlib.decompress(blob)


def unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def _utc_key(value: str) -> str:
    return sort_key(datetime.fromisoformat(value).astimezone(UTC))


def row_values(resource: str, doc: dict[str, Any]) -> tuple[Any, ...]:
    """The indexed columns of one document, in table order."""
    created, updated = _utc_key(doc["created_at"]), _utc_key(doc["updated_at"])
    if resource == "orders":
        customer = doc.get("customer") if isinstance(doc.get("customer"), dict) else {}
        return (
            doc["id"], doc.get("order_number"), customer.get("id"), created, updated,
            int(bool(doc.get("closed_at"))), int(bool(doc.get("cancelled_at"))),
            doc.get("financial_status"), doc.get("fulfillment_status"), pack(doc),
        )  # fmt: skip
    if resource == "customers":
        return (doc["id"], doc.get("email"), created, updated, pack(doc))
    variants = doc.get("variants") or [{}]
    sku = (
        variants[0].get("sku")
        if isinstance(variants, list) and isinstance(variants[0], dict)
        else None
    )
    return (doc["id"], doc.get("status"), sku, created, updated, pack(doc))


@dataclass(frozen=True)
class ListQuery:
    """A validated list request: filters (JSON-safe, carried inside `page_info`) and sort."""

    resource: str
    filters: dict[str, Any]
    sort: str = "id"
    descending: bool = False


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or, going back, before) this sort value and id."""

    value: Any
    id: int
    backwards: bool = False


class ShopStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- loading ---------------------------------------------------------------------------------
    def recreate(self) -> None:
        self.db.script(SCHEMA)

    def insert(
        self, resource: str, docs: Iterable[dict[str, Any]], *, replace: bool = False
    ) -> int:
        table = TABLES[resource]
        rows = [row_values(resource, d) for d in docs]
        marks = ",".join("?" * len(rows[0])) if rows else ""
        if rows:
            verb = "insert or replace" if replace else "insert"
            with self.db.transaction() as conn:
                conn.executemany(f"{verb} into {table} values ({marks})", rows)
        return len(rows)

    def insert_verbatim(self, resource: str, doc: dict[str, Any], *, now: datetime) -> None:
        """Store `doc` as given; unreadable timestamps are indexed as `now` but kept in the doc."""
        indexed = dict(doc)
        for key in ("created_at", "updated_at"):
            try:
                _utc_key(str(indexed[key]))
            except (KeyError, ValueError):
                indexed[key] = now.isoformat()
        row = row_values(resource, indexed)
        # the document column is the last one: keep the caller's exact document there
        row = (*row[:-1], pack(doc))
        with self.db.transaction() as conn:
            conn.execute(
                f"insert or replace into {TABLES[resource]} values ({','.join('?' * len(row))})",
                row,
            )

    # --- reads -----------------------------------------------------------------------------------
    def get(self, resource: str, object_id: int) -> dict[str, Any] | None:
        doc = self.db.scalar(f"select doc from {TABLES[resource]} where id = ?", (object_id,))
        return None if doc is None else unpack(doc)

    def customer_by_email(self, email: str) -> dict[str, Any] | None:
        doc = self.db.scalar(
            "select doc from shop_customers where email = ? collate nocase order by id limit 1",
            (email.strip(),),
        )
        return None if doc is None else unpack(doc)

    def product_by_sku(self, sku: str) -> dict[str, Any] | None:
        doc = self.db.scalar(
            "select doc from shop_products where sku = ? order by id limit 1", (sku,)
        )
        return None if doc is None else unpack(doc)

    def first_customer(self, tag: str) -> dict[str, Any] | None:
        for row in self.db.all("select doc from shop_customers order by id"):
            doc = unpack(row["doc"])
            if tag in doc.get("tags", "").split(", "):
                return doc
        return None

    def orders_of(self, customer_id: int) -> list[dict[str, Any]]:
        rows = self.db.all(
            "select doc from shop_orders where customer_id = ? order by id", (customer_id,)
        )
        return [unpack(r["doc"]) for r in rows]

    def next_id(self, resource: str, step: int) -> int:
        return int(self.db.scalar(f"select coalesce(max(id), 0) from {TABLES[resource]}")) + step

    def next_order_number(self) -> int:
        return int(self.db.scalar("select coalesce(max(order_number), 1000) from shop_orders")) + 1

    def count(self, query: ListQuery) -> int:
        where, params = _where(query)
        return int(
            self.db.scalar(f"select count(*) from {TABLES[query.resource]} where {where}", params)
        )

    def page(self, query: ListQuery, limit: int, cursor: Cursor | None) -> tuple[list[bytes], bool]:
        """Up to `limit` documents in display order, and whether more lie in that direction."""
        where, params = _where(query)
        descending = query.descending != bool(cursor and cursor.backwards)
        if cursor is not None:
            op = "<" if descending else ">"
            if query.sort == "id":
                where += f" and id {op} ?"
                params.append(cursor.id)
            else:
                where += f" and ({query.sort} {op} ? or ({query.sort} = ? and id {op} ?))"
                params += [cursor.value, cursor.value, cursor.id]
        direction = "desc" if descending else "asc"
        order = "id" if query.sort == "id" else f"{query.sort} {direction}, id"
        rows = self.db.all(
            f"select doc from {TABLES[query.resource]} where {where} "
            f"order by {order} {direction} limit ?",
            [*params, limit + 1],
        )
        docs = [unpack_json(r["doc"]) for r in rows[:limit]]
        if cursor is not None and cursor.backwards:
            docs.reverse()
        return docs, len(rows) > limit

    def sort_value(self, query: ListQuery, doc: dict[str, Any]) -> Any:
        return doc["id"] if query.sort == "id" else _utc_key(doc[query.sort])

    def totals(self) -> dict[str, Any]:
        """Ground truth for tests: counts by resource and by order state."""
        by_status = {
            r["financial_status"]: r["n"]
            for r in self.db.all(
                "select financial_status, count(*) as n from shop_orders group by 1 order by 1"
            )
        }
        return {
            "orders": self.db.scalar("select count(*) from shop_orders"),
            "orders_open": self.db.scalar(
                f"select count(*) from shop_orders where {ORDER_STATUS_SQL['open']}"
            ),
            "orders_closed": self.db.scalar("select count(*) from shop_orders where closed = 1"),
            "orders_cancelled": self.db.scalar(
                "select count(*) from shop_orders where cancelled = 1"
            ),
            "orders_by_financial_status": by_status,
            "customers": self.db.scalar("select count(*) from shop_customers"),
            "products": self.db.scalar("select count(*) from shop_products"),
            "variants": self.db.scalar("select count(*) from shop_products"),  # one per product
            "webhooks": self.db.scalar("select count(*) from shop_webhooks"),
        }

    def iter_docs(self, resource: str) -> Iterator[dict[str, Any]]:
        for row in self.db.all(f"select doc from {TABLES[resource]} order by id"):
            yield unpack(row["doc"])


def _where(query: ListQuery) -> tuple[str, list[Any]]:
    f = query.filters
    clauses, params = ["1 = 1"], []
    if f.get("ids"):
        clauses.append(f"id in ({','.join('?' * len(f['ids']))})")
        params += f["ids"]
    if f.get("since_id") is not None:
        clauses.append("id > ?")
        params.append(f["since_id"])
    for column in ("created_at", "updated_at"):
        if f.get(f"{column}_min"):
            clauses.append(f"{column} >= ?")
            params.append(f[f"{column}_min"])
        if f.get(f"{column}_max"):
            clauses.append(f"{column} <= ?")
            params.append(f[f"{column}_max"])
    if query.resource == "orders":
        clauses.append(ORDER_STATUS_SQL[f.get("status", "open")])
        financial = f.get("financial_status", "any")
        if financial != "any":
            group = FINANCIAL_GROUPS.get(financial, (financial,))
            clauses.append(f"financial_status in ({','.join('?' * len(group))})")
            params += list(group)
        clauses.append(FULFILLMENT_SQL[f.get("fulfillment_status", "any")])
    if query.resource == "products" and f.get("status"):
        statuses = f["status"]
        clauses.append(f"status in ({','.join('?' * len(statuses))})")
        params += statuses
    if query.resource == "customers" and f.get("email"):
        clauses.append("email = ? collate nocase")
        params.append(f["email"])
    return " and ".join(clauses), params
