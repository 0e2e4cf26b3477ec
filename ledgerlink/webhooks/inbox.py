"""The webhook inbox: verified deliveries appended once each, drained in order by a cursor.

Only the receiver appends; the Dagster sensor reads `events_after(cursor)` and keeps the last id
it handled as its cursor (ids only grow: `autoincrement` never reuses one). `mark_drained` is
optional bookkeeping for `pending_count` and `prune`. Dedup is a row in `seen` keyed by
(source, dedup_key), inserted in the same transaction as the event, so concurrent copies of one
delivery produce exactly one event whatever the interleaving.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from ledgerlink.settings import Settings
from ledgerlink.webhooks.db import InboxDatabase

Source = Literal["freshbooks", "shop"]
SOURCES: tuple[Source, ...] = ("freshbooks", "shop")
PURGE_EVERY_SECONDS = 60.0  # expired dedup keys are swept at most this often
COLUMNS = (
    "id, source, topic, object_id, account_id, dedup_key, received_at, occurred_at, payload,"
    " drained_at"
)


@dataclass(frozen=True)
class InboxEvent:
    """One verified delivery. `payload` is JSON text: FreshBooks' form fields or the shop body."""

    id: int
    source: str
    topic: str
    object_id: str | None
    account_id: str | None
    dedup_key: str
    received_at: datetime
    occurred_at: datetime | None
    payload: str
    drained: bool

    def data(self) -> Any:
        return json.loads(self.payload)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> InboxEvent:
        occurred = row["occurred_at"]
        return cls(
            id=row["id"],
            source=row["source"],
            topic=row["topic"],
            object_id=row["object_id"],
            account_id=row["account_id"],
            dedup_key=row["dedup_key"],
            received_at=datetime.fromisoformat(row["received_at"]),
            occurred_at=datetime.fromisoformat(occurred) if occurred else None,
            payload=row["payload"],
            drained=row["drained_at"] is not None,
        )


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class Inbox:
    """The SQLite inbox at `path` (`settings.inbox_path`); safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.db = InboxDatabase(path)
        self._purged_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Inbox:
        return cls(settings.inbox_path)

    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Inbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the receiver's side ---------------------------------------------------------------------
    def append(
        self,
        source: Source,
        topic: str,
        dedup_key: str,
        payload: str,
        *,
        keep_for: float,
        object_id: str | None = None,
        account_id: str | None = None,
        occurred_at: datetime | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Queue one event; False (and nothing queued) when `dedup_key` was seen for `source`
        less than `keep_for` seconds ago (counted from its first delivery, not the latest)."""
        if source not in SOURCES:
            raise ValueError(f"unknown webhook source {source!r}")
        moment = now or datetime.now(UTC)
        stamp = moment.timestamp()
        with self.db.write() as conn:
            if stamp - self._purged_at >= PURGE_EVERY_SECONDS:
                conn.execute("delete from seen where expires_at <= ?", (stamp,))
                self._purged_at = stamp
            conn.execute(
                "delete from seen where source = ? and dedup_key = ? and expires_at <= ?",
                (source, dedup_key, stamp),
            )
            fresh = conn.execute(
                "insert or ignore into seen (source, dedup_key, first_seen, expires_at)"
                " values (?, ?, ?, ?)",
                (source, dedup_key, stamp, stamp + keep_for),
            ).rowcount
            if not fresh:
                return False
            conn.execute(
                "insert into events (source, topic, object_id, account_id, dedup_key,"
                " received_at, occurred_at, payload) values (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source,
                    topic,
                    object_id,
                    account_id,
                    dedup_key,
                    _iso(moment),
                    _iso(occurred_at) if occurred_at else None,
                    payload,
                ),
            )
        return True

    # --- the sensor's side -----------------------------------------------------------------------
    def events_after(self, cursor: int, limit: int = 100) -> list[InboxEvent]:
        """Up to `limit` events with `id > cursor`, oldest first; the last one's id is the next
        cursor. Drained or not: the cursor, not the flag, decides what a reader has seen."""
        rows = self.db.connection().execute(
            f"select {COLUMNS} from events where id > ? order by id limit ?",
            (int(cursor), max(0, int(limit))),
        )
        return [InboxEvent.from_row(row) for row in rows]

    def mark_drained(self, through_id: int, *, now: datetime | None = None) -> int:
        """Flag every event up to `through_id` as handled; returns how many were newly flagged."""
        with self.db.write() as conn:
            return conn.execute(
                "update events set drained_at = ? where id <= ? and drained_at is null",
                (_iso(now or datetime.now(UTC)), int(through_id)),
            ).rowcount

    def pending_count(self) -> int:
        """Events not yet marked drained."""
        row = (
            self.db.connection()
            .execute("select count(*) from events where drained_at is null")
            .fetchone()
        )
        return int(row[0])

    def last_id(self) -> int:
        """The newest event's id (0 when empty): a new sensor may start its cursor here."""
        row = self.db.connection().execute("select coalesce(max(id), 0) from events").fetchone()
        return int(row[0])

    def latest(self, limit: int = 10) -> list[InboxEvent]:
        """The newest `limit` events, newest first (for `ledgerlink webhooks status`)."""
        rows = self.db.connection().execute(
            f"select {COLUMNS} from events order by id desc limit ?", (max(0, int(limit)),)
        )
        return [InboxEvent.from_row(row) for row in rows]

    def prune(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Delete drained events received more than `older_than` ago; returns how many."""
        cutoff = _iso((now or datetime.now(UTC)) - older_than)
        with self.db.write() as conn:
            return conn.execute(
                "delete from events where drained_at is not null and received_at < ?", (cutoff,)
            ).rowcount
