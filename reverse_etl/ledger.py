"""The push ledger in `ops`: intents before writes, outcomes after, dead letters, the crosswalk.

Every write is first recorded as an intent with a deterministic key (target, entity, natural
key, content hash) and committed; only then is the target called. A crash or an unknown outcome
leaves the intent behind, so the next attempt looks the record up in the target before it
writes again. Each method commits on its own: nothing is lost when the process dies.

Concurrent writers share one ledger: every method holds the ledger's lock while it uses the
DuckDB connection, which must not run two statements at once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import duckdb

from reverse_etl.ledger_schema import ensure_ops_schema

APPLIED = ("created", "updated", "unchanged")
# An open intent the plan dropped (see `supersede_unplanned`): closed, never retried.
SUPERSEDED = "superseded"
NO_LONGER_PLANNED = "no longer planned: the target holds it or newer content replaced it"
MAX_ERROR_LENGTH = 2000

P = ParamSpec("P")
R = TypeVar("R")


def _serialized(method: Callable[P, R]) -> Callable[P, R]:
    """Run `method` under its ledger's lock (the first argument is the ledger)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with args[0]._lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return wrapper


def intent_key(target: str, entity: str, natural_key: str, content_hash: str) -> str:
    """The same operation always gets the same key, in every run and after every crash."""
    raw = "\x1f".join((target, entity, natural_key, content_hash))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Intent:
    key: str
    target: str
    entity: str
    natural_key: str
    content_hash: str
    operation: str
    status: str
    attempts: int
    target_id: str | None

    @property
    def is_applied(self) -> bool:
        return self.status in APPLIED

    @property
    def outcome_unknown(self) -> bool:
        """Attempted before without a recorded outcome: the target may already have it."""
        return self.status == "pending" and self.attempts > 0


class Ledger:
    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.con = connection
        self._lock = threading.RLock()
        ensure_ops_schema(connection)

    # --- runs --------------------------------------------------------------------------------
    @_serialized
    def start_run(self, command: str) -> str:
        run_id = f"{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        self.con.execute(
            "insert into ops.sync_runs (run_id, command, started_at, status) "
            "values (?, ?, ?, 'running')",
            [run_id, command, _now()],
        )
        return run_id

    @_serialized
    def finish_run(self, run_id: str, status: str, counts: dict[str, int]) -> None:
        columns = ("planned", "created", "updated", "unchanged", "failed", "dead_lettered")
        self.con.execute(
            "update ops.sync_runs set finished_at = ?, status = ?, "
            + ", ".join(f"{c} = ?" for c in columns)
            + " where run_id = ?",
            [_now(), status, *(counts.get(c, 0) for c in columns), run_id],
        )

    # --- intents and outcomes ----------------------------------------------------------------
    @_serialized
    def record_intent(
        self,
        target: str,
        entity: str,
        natural_key: str,
        content_hash: str,
        operation: str,
        run_id: str,
        payload: str | None = None,
    ) -> Intent:
        """The intent for this operation, created as `pending` when it is new; `payload` (JSON)
        is what it writes, which dbt reads back to tell our own writes from others' changes."""
        key = intent_key(target, entity, natural_key, content_hash)
        self.con.execute(
            "insert into ops.sync_records (intent_key, target, entity, natural_key, content_hash, "
            "operation, status, attempts, run_id, payload) "
            "values (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) on conflict (intent_key) do nothing",
            [key, target, entity, natural_key, content_hash, operation, run_id, payload],
        )
        return self.intent(key)

    @_serialized
    def intent(self, key: str) -> Intent:
        row = self.con.execute(
            "select intent_key, target, entity, natural_key, content_hash, operation, status, "
            "attempts, target_id from ops.sync_records where intent_key = ?",
            [key],
        ).fetchone()
        if row is None:
            raise KeyError(key)
        return Intent(*row)

    @_serialized
    def applied_target_id(self, target: str, natural_key: str) -> str | None:
        """The id the target gave the record applied under this natural key, if any."""
        row = self.con.execute(
            "select target_id from ops.sync_records where target = ? and natural_key = ? "
            "and status in ('created', 'updated', 'unchanged') and target_id is not null "
            "order by last_attempt_at desc limit 1",
            [target, natural_key],
        ).fetchone()
        return row[0] if row else None

    @_serialized
    def begin_attempt(self, key: str, run_id: str) -> None:
        """Count an attempt *before* calling the target, so a crash mid-call is visible."""
        now = _now()
        self.con.execute(
            "update ops.sync_records set attempts = attempts + 1, status = 'pending', run_id = ?, "
            "first_attempt_at = coalesce(first_attempt_at, ?), last_attempt_at = ? "
            "where intent_key = ?",
            [run_id, now, now, key],
        )

    @_serialized
    def record_outcome(
        self,
        key: str,
        status: str,
        *,
        target_id: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        self.con.execute(
            "update ops.sync_records set status = ?, target_id = coalesce(?, target_id), "
            "error_code = ?, error_message = ?, last_attempt_at = ? where intent_key = ?",
            [
                status,
                target_id,
                error_code,
                (error_message or "")[:MAX_ERROR_LENGTH] or None,
                _now(),
                key,
            ],
        )

    # --- dead letters ------------------------------------------------------------------------
    @_serialized
    def dead_letter(
        self, intent: Intent, payload: dict[str, Any], reason: str, error_code: str | None = None
    ) -> None:
        self.record_outcome(
            intent.key, "dead_lettered", error_code=error_code, error_message=reason
        )
        self.con.execute(
            "insert or replace into ops.dead_letters (intent_key, target, entity, natural_key, "
            "payload, reason, error_code, attempts, failed_at, status) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')",
            [
                intent.key, intent.target, intent.entity, intent.natural_key,
                json.dumps(payload, default=str), reason[:MAX_ERROR_LENGTH], error_code,
                self.intent(intent.key).attempts, _now(),
            ],
        )  # fmt: skip

    @_serialized
    def dead_letters(self, status: str | None = "open") -> list[dict[str, Any]]:
        sql = "select * from ops.dead_letters"
        params: list[Any] = []
        if status:
            sql += " where status = ?"
            params.append(status)
        cursor = self.con.execute(sql + " order by failed_at", params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @_serialized
    def supersede_unplanned(self, target: str, entity: str, planned: set[str], run_id: str) -> int:
        """Close the open (pending or failed) intents of this entity that the current plan no
        longer holds: dbt found the target already as planned (an unknown outcome that did
        land), or the content changed and a newer intent replaced this one."""
        rows = self.con.execute(
            "select intent_key from ops.sync_records where target = ? and entity = ? "
            "and status in ('pending', 'failed')",
            [target, entity],
        ).fetchall()
        stale = [key for (key,) in rows if key not in planned]
        for key in stale:
            self.con.execute(
                "update ops.sync_records set status = 'superseded', run_id = ?, "
                "error_message = coalesce(error_message || ' / ', '') || ? "
                "where intent_key = ?",
                [
                    run_id,
                    "no longer planned: the target holds it or newer content replaced it",
                    key,
                ],
            )
        return len(stale)

    @_serialized
    def open_dead_letter_count(self, target: str, entity: str) -> int:
        row = self.con.execute(
            "select count(*) from ops.dead_letters "
            "where status = 'open' and target = ? and entity = ?",
            [target, entity],
        ).fetchone()
        return int(row[0]) if row else 0

    @_serialized
    def set_dead_letter_status(self, key: str, status: str) -> None:
        self.con.execute(
            "update ops.dead_letters set status = ? where intent_key = ?", [status, key]
        )
        if status == "replayed":
            # Eligible again: the next push plans and writes it like any other row.
            self.con.execute(
                "update ops.sync_records set status = 'failed', attempts = 0 where intent_key = ?",
                [key],
            )

    # --- crosswalk ---------------------------------------------------------------------------
    @_serialized
    def link(
        self,
        entity: str,
        *,
        freshbooks_account_id: str | None = None,
        freshbooks_id: str | None = None,
        infor_company: str | None = None,
        infor_key: str | None = None,
        shop_id: str | None = None,
        source: str = "push",
    ) -> None:
        """Record that these ids are the same record (read back by dbt's matching), merged into
        any row that already names one of them."""
        new = {
            "freshbooks_account_id": freshbooks_account_id,
            "freshbooks_id": freshbooks_id,
            "infor_company": infor_company,
            "infor_key": infor_key,
            "shop_id": shop_id,
        }
        where = (
            "entity = ? and ((freshbooks_id = ? and freshbooks_account_id = ?) "
            "or (infor_key = ? and infor_company = ?) or shop_id = ?)"
        )
        params = [entity, freshbooks_id, freshbooks_account_id, infor_key, infor_company, shop_id]
        cursor = self.con.execute(
            f"select {', '.join(new)} from ops.id_crosswalk where {where}", params
        )
        for row in cursor.fetchall():
            for column, value in zip(new, row, strict=True):
                new[column] = new[column] if new[column] is not None else value
        self.con.begin()  # the merged row replaces the old ones atomically
        try:
            self.con.execute(f"delete from ops.id_crosswalk where {where}", params)
            self.con.execute(
                "insert into ops.id_crosswalk values (?, ?, ?, ?, ?, ?, ?, ?)",
                [entity, *new.values(), source, _now()],
            )
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()
