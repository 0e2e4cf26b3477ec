"""Push: read each sync model, validate, write through the writers, record every outcome.

For each planned row, in dependency order (customers before orders before receipts):
1. the intent is recorded (and committed) before anything is sent;
2. a row already applied with the same content is skipped; a row whose parent is not in the
   target yet waits, visibly, for a later pass;
3. a create, or any row whose last attempt ended without a known outcome, is looked up in the
   target by its natural key first, so a retry, a replay or a crash never duplicates it;
4. the write's outcome goes to the ledger; failures stay eligible until `max_attempts`, then
   become dead letters. A payload our own validation refuses never reaches the API: it is a
   dead letter at once, with the reason.

Within a sync, up to `concurrency` records are in flight at once (each record's steps stay in
order); the sync's own pace and the connector's per-host limit keep the target's rate.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import duckdb

from ledgerlink.errors import (
    LedgerlinkError,
    OutcomeUnknown,
    RateLimited,
    TransientFailure,
    ValidationFailed,
)
from ledgerlink.http import TokenBucket
from ledgerlink.log import get_logger
from reverse_etl.definitions import SyncDefinition, in_dependency_order, load_syncs
from reverse_etl.ledger import Intent, Ledger, intent_key
from reverse_etl.operations import BEFORE_VALUES, DIFFERS, Operation, Writer, onto_existing

log = get_logger("ledgerlink.push")

WriterFactory = Callable[[str], Writer]  # target -> writer
SAMPLE_SIZE = 3
# Tries per record and run while a write fails in a way that may pass and the server has
# answered (a 5xx, a rate limit the HTTP policy gave up on): each later try looks the record up
# first, so it resumes or finds it instead of writing it twice. After a timeout or a dropped
# connection the server may still be writing, so those records are looked up again only when
# the sync's other records are done and `settle_seconds` have passed, for up to
# SETTLE_ROUNDS more tries. Refusals (M3 NOK, 4xx) get one try per run: they pass only once
# someone fixes the data.
TRIES_PER_RUN = 3
SETTLE_ROUNDS = 2
SETTLE_SECONDS = 5.0
RETRYABLE = (OutcomeUnknown, TransientFailure, RateLimited)
OUTCOME_UNKNOWN = "outcome_unknown"  # internal: tried again after the settle delay


def retry_now(exc: Exception) -> bool:
    return isinstance(exc, (TransientFailure, RateLimited)) or (
        isinstance(exc, OutcomeUnknown) and exc.server_answered
    )


@dataclass(frozen=True)
class Progress:
    """Where a sync's push stands; passed to the `on_progress` callback after each record."""

    sync: str
    done: int
    total: int
    counts: Mapping[str, int]
    seconds: float


ProgressCallback = Callable[[Progress], None]


@dataclass
class SyncReport:
    sync: str
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    dead_letters_open: int = 0  # after the push: what waits for `ledgerlink dlq replay`
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return self.counts["failed"] + self.counts["dead_lettered"]


@dataclass
class PushReport:
    run_id: str | None
    syncs: list[SyncReport]
    dry_run: bool = False

    def total(self, status: str) -> int:
        return sum(s.counts[status] for s in self.syncs)

    @property
    def ok(self) -> bool:
        return self.total("failed") == 0 and self.total("dead_lettered") == 0


def read_operations(con: duckdb.DuckDBPyConnection, sync: SyncDefinition) -> list[Operation]:
    try:
        cursor = con.execute(f"select * from sync.{sync.model} order by natural_key")
    except duckdb.CatalogException as exc:
        raise LedgerlinkError(
            f"sync model {sync.model} is not built: run `ledgerlink transform` first"
        ) from exc
    names = [d[0] for d in cursor.description]
    return [Operation(sync, dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def select_syncs(
    selected: list[str] | None, systems: tuple[str, ...] | None = None
) -> list[SyncDefinition]:
    """The syncs named (all when none are), in dependency order; with `systems`, only those
    whose systems are connected."""
    every = in_dependency_order(load_syncs())
    syncs = every if systems is None else [s for s in every if s.runs_with(systems)]
    if not selected:
        return syncs
    off = [s.name for s in every if s not in syncs and (s.name in selected or s.model in selected)]
    if off:
        raise LedgerlinkError(
            f"sync {', '.join(off)} reads a system that is off ({', '.join(systems or ())} "
            "connected): set it up, or see `ledgerlink config`"
        )
    known = {s.name for s in syncs} | {s.model for s in syncs}
    unknown = [name for name in selected if name not in known]
    if unknown:
        raise LedgerlinkError(
            f"unknown sync {', '.join(unknown)}; choose from {', '.join(s.name for s in syncs)}"
        )
    return [s for s in syncs if s.name in selected or s.model in selected]


def before_values(op: Operation) -> dict[str, Any]:
    """The target's current values of the fields this operation sends ({} for a create)."""
    raw = op.row.get(BEFORE_VALUES)
    return json.loads(raw) if isinstance(raw, str) and raw else {}


def field_changes(op: Operation) -> dict[str, tuple[Any, Any]]:
    """Field -> (before, after) for what this operation sends; before is None on a create."""
    before = before_values(op)
    after = op.payload()
    if before:  # an update or a void: the fields it sends, as the target has them now
        return {k: (before.get(k), after.get(k)) for k in before if after.get(k) is not None}
    return {k: (None, v) for k, v in after.items()}


class Pusher:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        writers: WriterFactory,
        on_progress: ProgressCallback | None = None,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self.con = con
        self.ledger = Ledger(con)
        self.writers = writers
        self.on_progress = on_progress
        self.settle_seconds = settle_seconds

    def plan(self, syncs: list[SyncDefinition]) -> PushReport:
        """What a push would do, without writing anything anywhere."""
        reports = []
        for sync in syncs:
            report = SyncReport(sync.name)
            for op in read_operations(self.con, sync):
                allowed = sync.allows(op.operation)
                report.counts[op.operation if allowed else "not_allowed_by_mode"] += 1
                if allowed and len(report.samples) < SAMPLE_SIZE:
                    report.samples.append(
                        {
                            "operation": op.operation,
                            "natural_key": op.natural_key,
                            "changes": field_changes(op),
                        }
                    )
            reports.append(report)
        return PushReport(run_id=None, syncs=reports, dry_run=True)

    def push(self, syncs: list[SyncDefinition], command: str = "push") -> PushReport:
        run_id = self.ledger.start_run(command)
        reports = []
        try:
            for sync in syncs:
                reports.append(self._push_sync(sync, run_id))
        finally:
            report = PushReport(run_id, reports)
            counts = {
                k: report.total(k)
                for k in ("created", "updated", "unchanged", "failed", "dead_lettered")
            }
            counts["planned"] = sum(sum(r.counts.values()) for r in reports)
            self.ledger.finish_run(run_id, "succeeded" if report.ok else "failed", counts)
        return report

    def _push_sync(self, sync: SyncDefinition, run_id: str) -> SyncReport:
        report = SyncReport(sync.name)
        writer = self.writers(sync.target)
        pace = TokenBucket(sync.rate)
        operations = read_operations(self.con, sync)
        started = time.monotonic()

        def push_row(op: Operation, last_round: bool) -> str:
            if not sync.allows(op.operation):
                return "not_allowed_by_mode"
            intent = self.ledger.record_intent(
                sync.target,
                op.entity,
                op.natural_key,
                op.content_hash,
                op.operation,
                run_id,
                json.dumps(op.payload(), sort_keys=True, default=str),
            )
            op = Operation(sync, op.row, intent)
            return self._push_one(sync, op, intent, writer, pace, run_id, report, last_round)

        todo, done = operations, 0
        with ThreadPoolExecutor(sync.concurrency, thread_name_prefix=f"push-{sync.name}") as pool:
            for round_no in range(SETTLE_ROUNDS + 1):
                if round_no:
                    time.sleep(self.settle_seconds)  # writes the server may still be running land
                last_round = round_no == SETTLE_ROUNDS
                unsettled = []
                # map() yields in order as records finish; an error escapes only after the pool
                # has let the records already in flight finish and record their outcomes.
                statuses = pool.map(partial(push_row, last_round=last_round), todo)
                for op, status in zip(todo, statuses, strict=True):
                    if status == OUTCOME_UNKNOWN:
                        unsettled.append(op)
                        continue
                    done += 1
                    report.counts[status] += 1
                    if self.on_progress:
                        elapsed = time.monotonic() - started
                        self.on_progress(
                            Progress(sync.name, done, len(operations), report.counts, elapsed)
                        )
                todo = unsettled
                if not todo:
                    break
        planned = {
            intent_key(sync.target, op.entity, op.natural_key, op.content_hash) for op in operations
        }
        report.counts["superseded"] += self.ledger.supersede_unplanned(
            sync.target, sync.entity, planned, run_id
        )
        report.dead_letters_open = self.ledger.open_dead_letter_count(sync.target, sync.entity)
        report.seconds = time.monotonic() - started
        log.info("pushed", extra={"sync": sync.name, "counts": dict(report.counts)})
        return report

    def _push_one(
        self,
        sync: SyncDefinition,
        op: Operation,
        intent: Intent,
        writer: Writer,
        pace: TokenBucket,
        run_id: str,
        report: SyncReport,
        last_round: bool = True,
    ) -> str:
        if intent.is_applied:
            return "unchanged"
        if intent.status == "dead_lettered":
            return "dead_letter_open"  # waits for `ledgerlink dlq replay`
        parent_ids = self._parent_ids(sync, op)
        if parent_ids is None:
            return "waiting"
        look_up = op.operation == "create" or intent.outcome_unknown or intent.attempts > 0
        try:
            for attempt in range(1, TRIES_PER_RUN + 1):
                try:
                    return self._attempt(op, intent, writer, pace, run_id, parent_ids, look_up)
                except RETRYABLE as exc:
                    if attempt == TRIES_PER_RUN or not retry_now(exc):
                        raise
                    look_up = True  # it may have landed: look before writing again
        except OutcomeUnknown as exc:
            if not last_round:
                return OUTCOME_UNKNOWN
            # Left pending with its attempts counted: the next run looks it up before writing.
            report.errors.append(f"{op.natural_key}: {exc}")
            return "failed"
        except ValidationFailed as exc:
            if exc.status is None:  # refused by our own validation: never sent
                self.ledger.dead_letter(intent, op.payload(), str(exc), exc.code)
                report.errors.append(f"{op.natural_key}: {exc}")
                return "dead_lettered"
            return self._failed(sync, op, exc, report)
        except LedgerlinkError as exc:
            return self._failed(sync, op, exc, report)
        raise AssertionError("unreachable: every try returns or raises")

    def _attempt(
        self,
        op: Operation,
        intent: Intent,
        writer: Writer,
        pace: TokenBucket,
        run_id: str,
        parent_ids: dict[str, str],
        look_up: bool,
    ) -> str:
        """One try: look the record up by its natural key when it may exist, then write."""
        if look_up:
            found = writer.find(op)
            if found is not None and found.status == DIFFERS and found.target_id:
                op = onto_existing(op, found.target_id)  # update it, never a second one
            elif found is not None:
                status = "created" if self.ledger.intent(intent.key).attempts else "unchanged"
                self._applied(op, status, found.target_id, found.links)
                return status
        pace.acquire()
        self.ledger.begin_attempt(intent.key, run_id)
        result = writer.write(op, parent_ids)
        self._applied(op, result.status, result.target_id, result.links)
        return result.status

    def _failed(
        self, sync: SyncDefinition, op: Operation, exc: LedgerlinkError, report: SyncReport
    ) -> str:
        assert op.intent is not None
        code = getattr(exc, "code", None)
        report.errors.append(f"{op.natural_key}: {exc}")
        attempts = self.ledger.intent(op.intent.key).attempts
        # `max_attempts` counts runs: a retryable failure had TRIES_PER_RUN tries in each.
        limit = sync.max_attempts * (TRIES_PER_RUN if isinstance(exc, RETRYABLE) else 1)
        if attempts >= limit:
            self.ledger.dead_letter(op.intent, op.payload(), str(exc), code)
            return "dead_lettered"
        self.ledger.record_outcome(op.intent.key, "failed", error_code=code, error_message=str(exc))
        return "failed"

    def _applied(
        self, op: Operation, status: str, target_id: str | None, links: list[Mapping[str, Any]]
    ) -> None:
        assert op.intent is not None
        self.ledger.record_outcome(op.intent.key, status, target_id=target_id)
        for link in links:
            self.ledger.link(**link)

    def _parent_ids(self, sync: SyncDefinition, op: Operation) -> dict[str, str] | None:
        """The target ids of the parents this row needs, or None while one is missing."""
        if op.depends_on is None:
            return {}
        target_id = self.ledger.applied_target_id(sync.target, op.depends_on)
        return {op.depends_on: target_id} if target_id else None
