"""The push ledger in `ops`: runs, intents before writes, outcomes, dead letters, the crosswalk.

Crash-safety rules:
1. Every write is first recorded as an intent with a deterministic key (target, entity, natural
   key, content hash) and committed; `begin_attempt` counts the attempt, also committed; only
   then is the target called.
2. A crash or an unknown outcome leaves the intent `pending` with its attempts counted, so the
   next attempt looks the record up in the target by its natural key before it writes again.
3. Each method commits on its own: nothing is lost when the process dies.
4. A run is `running` (committed, with its process and a heartbeat) before the first write, and
   ends as what happened; one whose process died is found `crashed` by the next reader.

Every change of state is a move of `reverse_etl.states`' machines: the ledger refuses a move they
do not list with a one-line `IllegalTransition`, so no sequence of pushes and operator actions
can leave a record in a state the rest of the system (dbt's `sync_health`, status) does not know.

Concurrent writers share one ledger: every method holds the ledger's lock while it uses the
DuckDB connection, which must not run two statements at once. The run's heartbeat, written from
its own thread, has a connection of its own.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import duckdb

from ledgerlink.errors import LedgerlinkError
from ledgerlink.ops_schema import ensure_ops_schema
from reverse_etl import states
from reverse_etl.error_catalogue import classify
from reverse_etl.states import DEAD_LETTER, RECORD, RUN, IllegalTransition

APPLIED = states.WRITTEN
MAX_ERROR_LENGTH = 2000
# The counts a run records, as the push summaries name them: the plan's decisions, then the
# outcomes of the writes (`planned` is every row the plan held).
RUN_COUNTS = (
    "planned",
    "applied",
    "dead_letter_open",
    "discarded",
    "waiting",
    "not_allowed",
    "created",
    "updated",
    "unchanged",
    "failed",
    "dead_lettered",
    "superseded",
    "held_for_review",
    "rejected",
)
# A running push beats every HEARTBEAT_SECONDS; without a beat for LEASE_SECONDS it has crashed.
HEARTBEAT_SECONDS = 10.0
LEASE_SECONDS = 60.0
# Dead letter ids are 32 hex characters; an operator types a prefix of at least this many.
MIN_ID_PREFIX = 4
# Who an action is recorded as when the command line gives no name.
OPERATOR = "command line"
SUPERSEDED_REASON = "no longer planned: newer content replaced it, or the target holds it"

# Ledgers from before the state machine: a replayed dead letter whose record was written since
# is resolved (it used to stay `replayed` for good), and the intent of a discarded letter is
# discarded (it used to stay `dead_lettered`).
OPS_REPAIRS = f"""
update ops.dead_letters set status = 'resolved', closed_at = coalesce(closed_at, failed_at)
where status = 'replayed' and exists (
    select 1 from ops.sync_records as written
    where written.target = dead_letters.target
        and written.entity = dead_letters.entity
        and written.natural_key = dead_letters.natural_key
        and written.status in ({", ".join(f"'{state}'" for state in states.WRITTEN)})
        and written.last_attempt_at >= dead_letters.failed_at
);
update ops.sync_records set status = 'discarded'
where status = 'dead_lettered' and intent_key in (
    select intent_key from ops.dead_letters where status = 'discarded'
);
"""

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


def _nested(value: Any) -> bool:
    """A list or object in a payload (order lines, journal lines), stored as JSON text too."""
    if isinstance(value, (list, dict)):
        return True
    return isinstance(value, str) and value.lstrip()[:1] in ("[", "{")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _in(values: Iterable[str]) -> str:
    """A SQL list of string literals (our own state names, never user input)."""
    return ", ".join(f"'{value}'" for value in values)


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


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
        return self.status == states.PENDING and self.attempts > 0

    @property
    def label(self) -> str:
        return f"{self.target} {self.entity} {self.natural_key}"


INTENT_COLUMNS = (
    "intent_key, target, entity, natural_key, content_hash, operation, status, attempts, target_id"
)


# --- what readers share (`ledgerlink status` reads without the writer's lock) ---------------------
def process_gone(run: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Whether the process of a `running` run has died: its heartbeat lapsed, or it ran on this
    host under a pid that no longer exists."""
    now = now or _now()
    if run.get("alive_until") is not None and run["alive_until"] < now:
        return True
    pid, host = run.get("pid"), run.get("host")
    if pid is None or host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int) -> list[dict[str, Any]]:
    """The latest runs, newest first; a `running` one whose process died shows as `crashed`."""
    runs = _rows(
        con.execute("select * from ops.sync_runs order by started_at desc limit ?", [limit])
    )
    now = _now()
    for run in runs:
        if run["status"] == states.RUNNING and process_gone(run, now):
            run["status"] = states.CRASHED
            run["error"] = run.get("error") or crash_reason(run)
    return runs


def crash_reason(run: Mapping[str, Any]) -> str:
    return (
        f"its process (pid {run.get('pid')} on {run.get('host')}) stopped without finishing; "
        "the counts are as of its last heartbeat"
    )


def record_state_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """(target, entity, state, records): each record (target, entity, natural key) counted once,
    in the state of its current intent, the one a plan held last."""
    # A reader does not migrate: a ledger from before `planned_at` orders by attempts alone.
    (has_planned_at,) = con.execute(
        "select count(*) from information_schema.columns where table_schema = 'ops' "
        "and table_name = 'sync_records' and column_name = 'planned_at'"
    ).fetchone()
    planned_at = "planned_at" if has_planned_at else "null"
    return [
        (target, entity, status, int(count))
        for target, entity, status, count in con.execute(
            "select target, entity, status, count(*) from ("
            "  select target, entity, status, row_number() over ("
            "    partition by target, entity, natural_key"
            f"    order by coalesce({planned_at}, last_attempt_at, first_attempt_at) desc"
            "      nulls last, intent_key"
            "  ) as recency"
            "  from ops.sync_records"
            ") where recency = 1 group by all order by all"
        ).fetchall()
    ]


class Ledger:
    """The `ops` tables of one warehouse connection, changed only through the state machines."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, *, read_only: bool = False) -> None:
        """`read_only`: a ledger only read (the readers' snapshot): nothing created or repaired."""
        self.con = connection
        self._lock = threading.RLock()
        self._heartbeat_con: duckdb.DuckDBPyConnection | None = None
        if not read_only:
            ensure_ops_schema(connection)
            connection.execute(OPS_REPAIRS)

    def locked(self) -> threading.RLock:
        """The ledger's lock, for a caller that uses its connection directly (one statement at a
        time on a DuckDB connection)."""
        return self._lock

    # --- runs --------------------------------------------------------------------------------
    @_serialized
    def start_run(self, command: str) -> str:
        """Record a `running` run (committed before the caller writes anything) with this
        process and a heartbeat; runs left `running` by a process that died become `crashed`."""
        self.close_dead_runs()
        run_id = f"{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        RUN.move("start", None, states.RUNNING, f"run {run_id}")
        now = _now()
        self.con.execute(
            "insert into ops.sync_runs (run_id, command, started_at, status, pid, host, "
            "heartbeat_at, alive_until) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id, command, now, states.RUNNING, os.getpid(), socket.gethostname(), now,
                now + timedelta(seconds=LEASE_SECONDS),
            ],
        )  # fmt: skip
        # The heartbeat thread writes through a connection of its own: this one may be busy.
        if self._heartbeat_con is not None:
            self._heartbeat_con.close()
        self._heartbeat_con = self.con.cursor()
        return run_id

    def heartbeat(self, run_id: str, counts: Mapping[str, int]) -> None:
        """The run is alive, with its counts so far (called from the heartbeat thread)."""
        con = self._heartbeat_con or self.con
        now = _now()
        con.execute(
            "update ops.sync_runs set heartbeat_at = ?, alive_until = ?, "
            + ", ".join(f"{c} = ?" for c in RUN_COUNTS)
            + " where run_id = ? and status = ?",
            [
                now,
                now + timedelta(seconds=LEASE_SECONDS),
                *(counts.get(c, 0) for c in RUN_COUNTS),
                run_id,
                states.RUNNING,
            ],
        )

    @_serialized
    def finish_run(
        self, run_id: str, status: str, counts: Mapping[str, int], error: str | None = None
    ) -> None:
        """End a running run as `status` (succeeded | failed | interrupted) with its counts."""
        row = self.con.execute(
            "select status from ops.sync_runs where run_id = ?", [run_id]
        ).fetchone()
        RUN.move("finish", row[0] if row else None, status, f"run {run_id}")
        now = _now()
        self.con.execute(
            "update ops.sync_runs set finished_at = ?, heartbeat_at = ?, status = ?, error = ?, "
            + ", ".join(f"{c} = ?" for c in RUN_COUNTS)
            + " where run_id = ?",
            [
                now,
                now,
                status,
                (error or "")[:MAX_ERROR_LENGTH] or None,
                *(counts.get(c, 0) for c in RUN_COUNTS),
                run_id,
            ],
        )

    @_serialized
    def close_dead_runs(self) -> list[str]:
        """Mark `crashed` the running runs whose process is gone; returns their ids."""
        running = _rows(
            self.con.execute("select * from ops.sync_runs where status = ?", [states.RUNNING])
        )
        now = _now()
        dead = [run for run in running if process_gone(run, now)]
        for run in dead:
            RUN.move("crash", run["status"], states.CRASHED, f"run {run['run_id']}")
            self.con.execute(
                "update ops.sync_runs set status = ?, finished_at = heartbeat_at, error = ? "
                "where run_id = ?",
                [states.CRASHED, crash_reason(run), run["run_id"]],
            )
        return [run["run_id"] for run in dead]

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
        """The intent for this operation, committed before anything is sent: created `pending`
        when it is new (or reopened when a plan had dropped it), and marked as the record's
        current intent. `payload` (JSON) is what it writes, which dbt reads back to tell our
        own writes from others' changes."""
        key = intent_key(target, entity, natural_key, content_hash)
        status = self._status(key)
        now = _now()
        if status is None:
            RECORD.move("plan", None, states.PENDING, f"{target} {entity} {natural_key}")
            self.con.execute(
                "insert into ops.sync_records (intent_key, target, entity, natural_key, "
                "content_hash, operation, status, attempts, run_id, payload, planned_at) "
                "values (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                [
                    key, target, entity, natural_key, content_hash, operation, states.PENDING,
                    run_id, payload, now,
                ],
            )  # fmt: skip
        elif status == states.SUPERSEDED:
            # Attempts are kept: an intent tried before is looked up before it is sent again.
            RECORD.move("plan", status, states.PENDING, f"{target} {entity} {natural_key}")
            self.con.execute(
                "update ops.sync_records set status = ?, planned_at = ?, run_id = ? "
                "where intent_key = ?",
                [states.PENDING, now, run_id, key],
            )
        else:
            # The same content; its payload differs only by an operator's edit (what is sent).
            self.con.execute(
                "update ops.sync_records set planned_at = ?, payload = coalesce(?, payload) "
                "where intent_key = ?",
                [now, payload, key],
            )
        return self.intent(key)

    @_serialized
    def mark_planned(self, keys: Iterable[str]) -> None:
        """The plan holds these intents again without writing them (written already, or
        discarded): each stays its record's current intent."""
        now = _now()
        for key in keys:
            self.con.execute(
                "update ops.sync_records set planned_at = ? where intent_key = ?", [now, key]
            )

    @_serialized
    def intent(self, key: str) -> Intent:
        row = self.con.execute(
            f"select {INTENT_COLUMNS} from ops.sync_records where intent_key = ?", [key]
        ).fetchone()
        if row is None:
            raise KeyError(key)
        return Intent(*row)

    @_serialized
    def intents(self, target: str, entity: str) -> dict[str, Intent]:
        """Every intent of one sync's records, by key (what the planner reads)."""
        rows = self.con.execute(
            f"select {INTENT_COLUMNS} from ops.sync_records where target = ? and entity = ?",
            [target, entity],
        ).fetchall()
        return {row[0]: Intent(*row) for row in rows}

    @_serialized
    def applied_target_id(self, target: str, natural_key: str) -> str | None:
        """The id the target gave the record applied under this natural key, if any."""
        row = self.con.execute(
            "select target_id from ops.sync_records where target = ? and natural_key = ? "
            f"and status in ({_in(APPLIED)}) and target_id is not null "
            "order by last_attempt_at desc limit 1",
            [target, natural_key],
        ).fetchone()
        return row[0] if row else None

    @_serialized
    def begin_attempt(self, key: str, run_id: str, payload: str | None = None) -> None:
        """Count an attempt *before* calling the target, so a crash mid-call is visible, and
        open its row in `ops.sync_attempts` with the payload (JSON) it sends."""
        intent = self.intent(key)
        RECORD.move("attempt", intent.status, states.PENDING, intent.label)
        now = _now()
        self.con.begin()  # the count and the attempt's row, together
        try:
            self._close_open_attempts(key, now)
            self.con.execute(
                "update ops.sync_records set attempts = attempts + 1, status = ?, run_id = ?, "
                "first_attempt_at = coalesce(first_attempt_at, ?), last_attempt_at = ? "
                "where intent_key = ?",
                [states.PENDING, run_id, now, now, key],
            )
            self.con.execute(
                "insert into ops.sync_attempts (intent_key, attempt, run_id, started_at, payload) "
                "values (?, ?, ?, ?, ?)",
                [key, intent.attempts + 1, run_id, now, payload],
            )
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    def _close_open_attempts(self, key: str, now: datetime) -> None:
        """A try left open (its process died mid-call) ends without a known outcome."""
        self.con.execute(
            "update ops.sync_attempts set finished_at = ?, outcome = 'unknown', "
            "error_message = coalesce(error_message, 'no answer recorded: the process stopped "
            "during the call') where intent_key = ? and finished_at is null",
            [now, key],
        )

    @_serialized
    def finish_attempt(
        self,
        key: str,
        run_id: str,
        outcome: str,
        *,
        target_id: str | None = None,
        error: BaseException | None = None,
        exchanges: list[dict[str, Any]] | None = None,
    ) -> None:
        """What one try got back: the outcome, the target's id or the error (classified by the
        error catalogue), and its HTTP exchanges. A try that ended before `begin_attempt` (the
        look-up found the record, or failed) is kept as a look-up (attempt 0)."""
        intent = self.intent(key)
        facts: dict[str, Any] = dict.fromkeys(
            ("error_kind", "error_class", "error_code", "error_field", "http_status", "message")
        )
        if error is not None:
            explained = classify(error, intent.target)
            facts = {
                "error_kind": explained.facts.kind,
                "error_class": explained.error_class.value,
                "error_code": explained.facts.code,
                "error_field": explained.facts.field,
                "http_status": getattr(error, "status", None),
                "message": (str(error) or type(error).__name__)[:MAX_ERROR_LENGTH],
            }
        now = _now()
        values = [
            now, outcome, target_id, *facts.values(),
            json.dumps(exchanges or [], default=str),
        ]  # fmt: skip
        columns = (
            "finished_at = ?, outcome = ?, target_id = ?, error_kind = ?, error_class = ?, "
            "error_code = ?, error_field = ?, http_status = ?, error_message = ?, exchanges = ?"
        )
        updated = self.con.execute(
            f"update ops.sync_attempts set {columns} where intent_key = ? and finished_at is null "
            "returning attempt",
            [*values, key],
        ).fetchall()
        if not updated:
            self.con.execute(
                "insert into ops.sync_attempts (intent_key, attempt, run_id, started_at, "
                "finished_at, outcome, target_id, error_kind, error_class, error_code, "
                "error_field, http_status, error_message, exchanges) "
                "values (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [key, run_id, now, *values],
            )

    @_serialized
    def attempts_of(self, key: str) -> list[dict[str, Any]]:
        """Every try of one intent, first first, with what the target answered."""
        return _rows(
            self.con.execute(
                "select * from ops.sync_attempts where intent_key = ? order by started_at, attempt",
                [key],
            )
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
        """A write's outcome: written (`created | updated | unchanged`) or `failed`. A written
        record resolves the dead letters replayed for it."""
        intent = self.intent(key)
        event = "write" if status in APPLIED else "fail"
        RECORD.move(event, intent.status, status, intent.label)
        self._set_status(key, status, target_id, error_code, error_message)
        if status in APPLIED:
            self._close_replayed_letters(intent, "resolve", states.LETTER_RESOLVED)

    def _set_status(
        self,
        key: str,
        status: str,
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

    def _status(self, key: str) -> str | None:
        row = self.con.execute(
            "select status from ops.sync_records where intent_key = ?", [key]
        ).fetchone()
        return row[0] if row else None

    @_serialized
    def supersede_unplanned(self, target: str, entity: str, planned: set[str], run_id: str) -> int:
        """Close the open (pending, failed or replayed) intents of this entity that the current
        plan no longer holds: dbt found the target already as planned (an unknown outcome that
        did land), or the content changed and a newer intent replaced this one. A dead letter
        replayed for one of them is closed as superseded too."""
        stale = [
            intent
            for intent in self.intents(target, entity).values()
            if intent.status in (*states.OPEN, states.HELD_FOR_REVIEW) and intent.key not in planned
        ]
        for intent in stale:
            RECORD.move("supersede", intent.status, states.SUPERSEDED, intent.label)
            self.con.execute(
                "update ops.sync_records set status = ?, run_id = ?, "
                "error_message = coalesce(error_message || ' / ', '') || ? "
                "where intent_key = ?",
                [states.SUPERSEDED, run_id, SUPERSEDED_REASON, intent.key],
            )
            letter = self._letter_status(intent.key)
            if letter == states.LETTER_REPLAYED:
                self._move_letter(intent.key, letter, "supersede", states.LETTER_SUPERSEDED)
        return len(stale)

    # --- records, as operators and dbt see them ----------------------------------------------
    @_serialized
    def held_records(self, target: str, entity: str) -> set[str]:
        """Natural keys of this entity's records that an open dead letter holds: nothing of
        theirs is written, whatever its content, until an operator replays or discards it."""
        rows = self.con.execute(
            "select distinct natural_key from ops.dead_letters "
            "where target = ? and entity = ? and status = ?",
            [target, entity, states.LETTER_OPEN],
        ).fetchall()
        return {natural_key for (natural_key,) in rows}

    @_serialized
    def state_counts(self) -> list[tuple[str, str, str, int]]:
        return record_state_counts(self.con)

    # --- dead letters ------------------------------------------------------------------------
    @_serialized
    def dead_letter(
        self, intent: Intent, payload: dict[str, Any], reason: str, error_code: str | None = None
    ) -> None:
        """The record is refused or out of attempts: an open dead letter holds it for a person."""
        current = self.intent(intent.key)
        RECORD.move("dead_letter", current.status, states.DEAD_LETTERED, intent.label)
        letter = self._letter_status(intent.key)
        DEAD_LETTER.move("dead_letter", letter, states.LETTER_OPEN, f"letter of {intent.label}")
        self._set_status(intent.key, states.DEAD_LETTERED, None, error_code, reason)
        self.con.execute(
            "insert or replace into ops.dead_letters (intent_key, target, entity, natural_key, "
            "payload, reason, error_code, attempts, failed_at, status, closed_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
            [
                intent.key, intent.target, intent.entity, intent.natural_key,
                json.dumps(payload, default=str), reason[:MAX_ERROR_LENGTH], error_code,
                current.attempts, _now(), states.LETTER_OPEN,
            ],
        )  # fmt: skip
        self.con.execute(
            "update ops.sync_attempts set outcome = ? where intent_key = ? and started_at = "
            "(select max(started_at) from ops.sync_attempts where intent_key = ?)",
            [states.DEAD_LETTERED, intent.key, intent.key],
        )

    @_serialized
    def dead_letters(self, status: str | None = states.LETTER_OPEN) -> list[dict[str, Any]]:
        """Dead letters in `status` (all when None), oldest first."""
        sql = "select * from ops.dead_letters"
        params: list[Any] = []
        if status:
            sql += " where status = ?"
            params.append(status)
        return _rows(self.con.execute(sql + " order by failed_at, intent_key", params))

    @_serialized
    def dead_letter_counts(self) -> dict[str, int]:
        """Dead letters per state, every state listed (zero included)."""
        counts = dict.fromkeys(DEAD_LETTER.names, 0)
        for status, count in self.con.execute(
            "select status, count(*) from ops.dead_letters group by status"
        ).fetchall():
            counts[status] = int(count)
        return counts

    @_serialized
    def find_dead_letter(self, prefix: str) -> dict[str, Any]:
        """The one dead letter whose id starts with `prefix` (at least `MIN_ID_PREFIX` hex
        characters), or a one-line error naming the candidates."""
        prefix = prefix.strip().lower()
        if len(prefix) < MIN_ID_PREFIX:
            raise LedgerlinkError(
                f"give at least {MIN_ID_PREFIX} characters of the dead letter's id, got "
                f"{prefix!r} (`ledgerlink dlq list --status all` shows the ids)"
            )
        matches = _rows(
            self.con.execute(
                "select * from ops.dead_letters where starts_with(intent_key, ?) "
                "order by intent_key",
                [prefix],
            )
        )
        if not matches:
            raise LedgerlinkError(
                f"no dead letter id starts with {prefix!r}: `ledgerlink dlq list --status all` "
                "shows them"
            )
        if len(matches) > 1:
            shown = ", ".join(
                f"{m['intent_key'][:12]} ({m['entity']} {m['natural_key']})" for m in matches[:5]
            )
            more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
            raise LedgerlinkError(
                f"{prefix!r} matches {len(matches)} dead letters: {shown}{more}; "
                "give more of the id"
            )
        return matches[0]

    @_serialized
    def replay(self, key: str, actor: str = OPERATOR) -> dict[str, Any]:
        """Operator action: the dead letter's record becomes eligible again with a fresh budget
        of attempts; the next push writes it, looking it up in the target first."""
        letter, intent = self._operator_target(key, "replay")
        RECORD.move("replay", intent.status, states.REPLAYED, intent.label)
        self.con.execute(
            "update ops.sync_records set status = ?, attempts = 0 where intent_key = ?",
            [states.REPLAYED, key],
        )
        self._move_letter(key, letter["status"], "replay", states.LETTER_REPLAYED)
        self._log_action(actor, "replay", intent, {})
        return {**letter, "status": states.LETTER_REPLAYED}

    @_serialized
    def discard(self, key: str, reason: str | None = None, actor: str = OPERATOR) -> dict[str, Any]:
        """Operator action: give up on the dead letter's content; it is never written (newer
        content of the record is planned and written as usual)."""
        letter, intent = self._operator_target(key, "discard")
        RECORD.move("discard", intent.status, states.DISCARDED, intent.label)
        self.con.execute(
            "update ops.sync_records set status = ? where intent_key = ?",
            [states.DISCARDED, key],
        )
        self._move_letter(key, letter["status"], "discard", states.LETTER_DISCARDED)
        reason = (reason or "").strip() or None
        self.con.execute(
            "update ops.dead_letters set discard_reason = ? where intent_key = ?", [reason, key]
        )
        self._log_action(actor, "discard", intent, {"reason": reason})
        return {**letter, "status": states.LETTER_DISCARDED, "discard_reason": reason}

    @_serialized
    def edit_payload(self, key: str, field: str, value: str, actor: str) -> dict[str, Any]:
        """Operator action on an open dead letter: the next write of this content sends `value`
        for `field` instead of what the sync model planned. Only a field the payload has, with
        a plain value (not a list of lines), can be edited; the letter stays open until it is
        replayed, and the edit is kept with who, when, before and after."""
        letter, intent = self._operator_target(key, "edit")
        payload = json.loads(letter["payload"])
        if field not in payload:
            fields = ", ".join(sorted(k for k, v in payload.items() if not _nested(v)))
            raise LedgerlinkError(
                f"{intent.label} has no field {field!r} to edit; its fields are {fields}"
            )
        current = self.payload_edits_of(key).get(field, payload[field])
        if _nested(current):
            raise LedgerlinkError(
                f"{field} of {intent.label} is a list or object: fix it in the source data "
                "or the mapping, then replay"
            )
        before = None if current is None else str(current)
        if before == value:
            raise LedgerlinkError(f"{field} of {intent.label} is {value!r} already")
        edit = {
            "edit_id": uuid.uuid4().hex,
            "intent_key": key,
            "field": field,
            "before": before,
            "after": value,
            "edited_by": actor,
            "edited_at": _now(),
        }
        self.con.execute(
            f"insert into ops.payload_edits ({', '.join(edit)}) values "
            f"({', '.join('?' for _ in edit)})",
            list(edit.values()),
        )
        self._log_action(actor, "edit", intent, {"field": field, "before": before, "after": value})
        return edit

    @_serialized
    def payload_edits_of(self, key: str) -> dict[str, str]:
        """field -> value an operator set for this intent (the latest edit of each field)."""
        rows = self.con.execute(
            "select field, after from ops.payload_edits where intent_key = ? "
            "qualify row_number() over (partition by field order by edited_at desc) = 1",
            [key],
        ).fetchall()
        return dict(rows)

    @_serialized
    def payload_edits(self, target: str, entity: str) -> dict[str, dict[str, str]]:
        """intent key -> {field: value} of one sync's edited intents (what the push sends)."""
        rows = self.con.execute(
            "select e.intent_key, e.field, e.after from ops.payload_edits e "
            "join ops.sync_records r using (intent_key) where r.target = ? and r.entity = ? "
            "qualify row_number() over (partition by e.intent_key, e.field "
            "order by e.edited_at desc) = 1",
            [target, entity],
        ).fetchall()
        edits: dict[str, dict[str, str]] = {}
        for key, field, value in rows:
            edits.setdefault(key, {})[field] = value
        return edits

    @_serialized
    def assign(self, key: str, person: str, actor: str) -> dict[str, Any]:
        """Name the person who looks into a dead letter (empty: nobody). Not a change of state:
        any letter can be assigned."""
        rows = _rows(self.con.execute("select * from ops.dead_letters where intent_key = ?", [key]))
        if not rows:
            raise IllegalTransition(f"no dead letter {key[:12]}: nobody to assign")
        person = person.strip() or None
        self.con.execute(
            "update ops.dead_letters set assigned_to = ? where intent_key = ?", [person, key]
        )
        self._log_action(actor, "assign", self.intent(key), {"assigned_to": person})
        return {**rows[0], "assigned_to": person}

    @_serialized
    def actions_of(self, key: str) -> list[dict[str, Any]]:
        return _rows(
            self.con.execute(
                "select * from ops.operator_actions where intent_key = ? order by acted_at",
                [key],
            )
        )

    def _log_action(self, actor: str, action: str, intent: Intent, detail: dict[str, Any]) -> None:
        self.con.execute(
            "insert into ops.operator_actions values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                uuid.uuid4().hex, _now(), actor, action, intent.key, intent.target,
                intent.entity, intent.natural_key, json.dumps(detail, default=str),
            ],
        )  # fmt: skip

    def _operator_target(self, key: str, action: str) -> tuple[dict[str, Any], Intent]:
        """The letter and its intent, or the one-line reason why `action` does not apply."""
        rows = _rows(self.con.execute("select * from ops.dead_letters where intent_key = ?", [key]))
        if not rows:
            raise IllegalTransition(f"no dead letter {key[:12]}: nothing to {action}")
        letter, intent = rows[0], self.intent(key)
        label = intent.label
        if intent.is_applied:
            as_id = f" as {intent.target_id}" if intent.target_id else ""
            raise IllegalTransition(
                f"{label} is already written{as_id} ({intent.status}); nothing to {action}"
            )
        if letter["status"] != states.LETTER_OPEN:
            meaning = DEAD_LETTER.states[letter["status"]].meaning
            raise IllegalTransition(
                f"the dead letter of {label} is already {letter['status']} ({meaning}); "
                f"nothing to {action}"
            )
        return letter, intent

    def _letter_status(self, key: str) -> str | None:
        row = self.con.execute(
            "select status from ops.dead_letters where intent_key = ?", [key]
        ).fetchone()
        return row[0] if row else None

    def _move_letter(self, key: str, source: str | None, event: str, target: str) -> None:
        DEAD_LETTER.move(event, source, target, f"dead letter {key[:12]}")
        closed = target in (
            states.LETTER_RESOLVED,
            states.LETTER_DISCARDED,
            states.LETTER_SUPERSEDED,
        )
        self.con.execute(
            "update ops.dead_letters set status = ?, closed_at = ? where intent_key = ?",
            [target, _now() if closed else None, key],
        )

    def _close_replayed_letters(self, intent: Intent, event: str, target: str) -> None:
        """Close the replayed dead letters of `intent`'s record (any of its contents)."""
        rows = self.con.execute(
            "select intent_key from ops.dead_letters where target = ? and entity = ? "
            "and natural_key = ? and status = ?",
            [intent.target, intent.entity, intent.natural_key, states.LETTER_REPLAYED],
        ).fetchall()
        for (key,) in rows:
            self._move_letter(key, states.LETTER_REPLAYED, event, target)

    @_serialized
    def open_dead_letter_count(self, target: str, entity: str) -> int:
        row = self.con.execute(
            "select count(*) from ops.dead_letters where status = ? and target = ? and entity = ?",
            [states.LETTER_OPEN, target, entity],
        ).fetchone()
        return int(row[0]) if row else 0

    # --- the review queue (the pre-posting gate's holds) --------------------------------------
    @_serialized
    def hold(
        self, key: str, payload: dict[str, Any], reasons: Iterable[str], scores: str = "{}"
    ) -> None:
        """The gate found this new intent unusual: it is held, with why, until a person
        approves or rejects it; nothing of it is sent."""
        intent = self.intent(key)
        RECORD.move("hold", intent.status, states.HELD_FOR_REVIEW, intent.label)
        reasons = list(reasons)
        self._set_status(key, states.HELD_FOR_REVIEW, None, "held_for_review", "; ".join(reasons))
        self.con.execute(
            "insert or replace into ops.review_holds (intent_key, target, entity, natural_key, "
            "payload, reasons, scores, held_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                key, intent.target, intent.entity, intent.natural_key,
                json.dumps(payload, default=str), json.dumps(reasons), scores, _now(),
            ],
        )  # fmt: skip

    @_serialized
    def held(self, status: str | None = states.HELD_FOR_REVIEW) -> list[dict[str, Any]]:
        """Records the gate held, with their reasons and decisions, in the record state `status`
        (held_for_review, approved, rejected, ...; all when None), oldest first."""
        sql = (
            "select h.*, r.status, r.target_id from ops.review_holds h "
            "join ops.sync_records r using (intent_key)"
        )
        params: list[Any] = []
        if status:
            sql += " where r.status = ?"
            params.append(status)
        rows = _rows(self.con.execute(sql + " order by h.held_at, h.intent_key", params))
        for row in rows:
            row["reasons"] = json.loads(row["reasons"])
        return rows

    @_serialized
    def find_held(self, prefix: str) -> dict[str, Any]:
        """The one held record whose id starts with `prefix`, or a one-line error."""
        prefix = prefix.strip().lower()
        if len(prefix) < MIN_ID_PREFIX:
            raise LedgerlinkError(
                f"give at least {MIN_ID_PREFIX} characters of the held record's id, got "
                f"{prefix!r} (`ledgerlink review list --all` shows the ids)"
            )
        matches = [row for row in self.held(None) if row["intent_key"].startswith(prefix)]
        if not matches:
            raise LedgerlinkError(
                f"no held record id starts with {prefix!r}: `ledgerlink review list --all` "
                "shows them"
            )
        if len(matches) > 1:
            shown = ", ".join(f"{m['intent_key'][:12]} ({m['natural_key']})" for m in matches[:5])
            raise LedgerlinkError(
                f"{prefix!r} matches {len(matches)} held records: {shown}; give more of the id"
            )
        return matches[0]

    @_serialized
    def approve(self, key: str, actor: str = OPERATOR, note: str | None = None) -> Intent:
        """Reviewer's action: the held record is to be written; the next push writes it once
        (looking it up in the target first, as every write)."""
        return self._decide(key, "approve", states.APPROVED, actor, note)

    @_serialized
    def reject(self, key: str, reason: str, actor: str = OPERATOR) -> Intent:
        """Reviewer's action: the held content is never written (new content of the record is
        a new intent, scored afresh)."""
        if not reason.strip():
            raise LedgerlinkError("say why the held record is rejected (it is kept with it)")
        return self._decide(key, "reject", states.REJECTED, actor, reason.strip())

    def _decide(self, key: str, event: str, target: str, actor: str, note: str | None) -> Intent:
        try:
            intent = self.intent(key)
        except KeyError:
            raise IllegalTransition(f"no held record {key[:12]}: nothing to {event}") from None
        RECORD.move(event, intent.status, target, intent.label)
        now = _now()
        self.con.execute(
            "update ops.sync_records set status = ? where intent_key = ?", [target, key]
        )
        self.con.execute(
            "update ops.review_holds set decision = ?, decided_by = ?, decided_at = ?, "
            "decision_note = ? where intent_key = ?",
            [target, actor, now, note, key],
        )
        self._log_action(actor, event, intent, {"note": note})
        return self.intent(key)

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
