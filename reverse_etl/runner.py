"""Push: read each sync model, plan, validate, write through the writers, record every outcome.

A push is a run in the ledger: `running` (committed) before the first write, with a heartbeat
while it works, then `succeeded`, `failed` (a record failed, or an error such as a missing
setting stopped it; the reason is kept) or `interrupted` (Ctrl-C, SIGTERM), with the counts so
far. A run whose process dies stays `running` until the next reader finds it `crashed`.

For each sync, in dependency order (customers before orders before receipts), the planner
(`reverse_etl.planner`, shared with the dry run) decides every row; then for each row to write:
1. the intent is recorded (and committed) before anything is sent;
2. a create, or any row whose last attempt ended without a known outcome, is looked up in the
   target by its natural key first, so a retry, a replay or a crash never duplicates it;
3. the write's outcome goes to the ledger; failures stay eligible until `max_attempts`, then
   become dead letters. A payload our own validation refuses never reaches the API: it is a
   dead letter at once, with the reason.
Rows that wait for a parent record are recorded too (pending, visibly), and so are the rows the
pre-posting gate holds for review (`held_for_review`, with the reasons; never sent until
approved). Open or held intents the plan no longer holds are closed as superseded.

Within a sync, up to `concurrency` records are in flight at once (each record's steps stay in
order); the sync's own pace, where it sets one, and the connector's per-host limit keep the
target's rate. On an interrupt, records not started are dropped and those in flight finish and
record their outcome.
"""

from __future__ import annotations

import json
import threading
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
    Unavailable,
    ValidationFailed,
)
from ledgerlink.http import TokenBucket
from ledgerlink.log import get_logger
from reverse_etl import exchanges, states
from reverse_etl.definitions import SyncDefinition, in_dependency_order, load_syncs
from reverse_etl.ledger import HEARTBEAT_SECONDS, RUN_COUNTS, Intent, Ledger, intent_key
from reverse_etl.operations import BEFORE_VALUES, DIFFERS, Operation, Writer, onto_existing
from reverse_etl.planner import (
    PLAN_COLUMNS,
    Action,
    Decision,
    RecordRef,
    gate_decisions,
    plan_sync,
)

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


# Syncs to hold back, with why (e.g. codes the Infor tenant lacks), decided before any write.
Screen = Callable[[list[SyncDefinition]], dict[str, str]]
ProgressCallback = Callable[[Progress], None]


# What a push did with the records it wrote, besides the plan's columns (`PLAN_COLUMNS`).
OUTCOME_COLUMNS = ("created", "updated", "unchanged", "failed", "dead_lettered", "superseded")


@dataclass
class SyncReport:
    """One sync's counts: the plan's decisions (`PLAN_COLUMNS`, the same in a dry run and a
    push), and in a push the outcomes of its writes (`OUTCOME_COLUMNS`)."""

    sync: str
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    dead_letters_open: int = 0  # after the push: what waits for `ledgerlink dlq replay`
    holds: list[str] = field(default_factory=list)  # rows the gate held now, with why
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, column: str, n: int = 1) -> None:
        """Count `n` in `column` (writes finish in worker threads)."""
        with self._lock:
            self.counts[column] += n

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.counts)

    @property
    def planned(self) -> int:
        return sum(self.counts[c] for c in PLAN_COLUMNS)

    @property
    def failed(self) -> int:
        return self.counts["failed"] + self.counts["dead_lettered"]


@dataclass
class PushReport:
    run_id: str | None
    syncs: list[SyncReport]
    dry_run: bool = False
    # syncs not pushed, with why: a code they would write that the Infor tenant lacks, a sync
    # model dbt did not build
    held: dict[str, str] = field(default_factory=dict)
    dbt_failures: list[str] = field(default_factory=list)  # tests and models that failed

    def total(self, status: str) -> int:
        return sum(s.counts[status] for s in self.syncs)

    @property
    def ok(self) -> bool:
        return (
            self.total("failed") == 0
            and self.total("dead_lettered") == 0
            and not self.held
            and not self.dbt_failures
        )

    def run_counts(self) -> dict[str, int]:
        """The counts a run records (`ledger.RUN_COUNTS`)."""
        snapshots = [s.snapshot() for s in self.syncs]
        counts = {c: sum(snap[c] for snap in snapshots) for c in RUN_COUNTS}
        counts["planned"] = sum(snap[c] for snap in snapshots for c in PLAN_COLUMNS)
        return counts


class PushInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a push; `report` holds what it did (the run is recorded as
    interrupted)."""

    def __init__(self, report: PushReport) -> None:
        super().__init__("push interrupted")
        self.report = report


class RunRecorder:
    """One push run in the ledger: `running` before the first write, a heartbeat (with the
    counts so far) from its own thread while it works, and how it ended."""

    def __init__(self, ledger: Ledger, command: str, period: float = HEARTBEAT_SECONDS) -> None:
        self.ledger = ledger
        self.run_id = ledger.start_run(command)
        self.report = PushReport(self.run_id, [])
        self._stopped = threading.Event()
        self._period = period
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{self.run_id}", daemon=True
        )
        self._thread.start()

    def _beat(self) -> None:
        while not self._stopped.wait(self._period):
            try:
                self.ledger.heartbeat(self.run_id, self.report.run_counts())
            except Exception:  # a missed beat only risks a late `crashed`, never a wrong write
                log.warning("heartbeat not recorded", exc_info=True)

    def finish(self, status: str, error: str | None = None) -> None:
        self._stopped.set()
        self._thread.join()
        self.ledger.finish_run(self.run_id, status, self.report.run_counts(), error)

    def finish_after(self, exc: BaseException) -> None:
        """Record how an exception ended the run: an error fails it with its reason, anything
        else (Ctrl-C, SIGTERM, the orchestrator stopping it) interrupts it."""
        if isinstance(exc, Exception):
            status, error = states.RUN_FAILED, one_line(exc)
        else:
            status, error = states.INTERRUPTED, f"interrupted ({type(exc).__name__})"
        try:
            self.finish(status, error)
        except Exception:  # the original error matters more; the run shows as crashed later
            log.warning("could not record the end of run %s", self.run_id, exc_info=True)


def _hold_line(decision: Decision) -> str:
    assert decision.finding is not None
    return f"{decision.op.natural_key}: {'; '.join(decision.finding.reasons)}"


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


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
        on_run_started: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
        gate: bool = True,
    ) -> None:
        self.con = con
        self.gate = gate  # off: no row is scored (the syncs' `hold:` rules are ignored)
        self.ledger = Ledger(con)
        self.writers = writers
        self.on_progress = on_progress
        self.settle_seconds = settle_seconds
        # e.g. publish the readers' snapshot: a run killed later still shows as started
        self.on_run_started = on_run_started

    def plan(self, syncs: list[SyncDefinition], screen: Screen | None = None) -> PushReport:
        """What a push would do (the planner's decisions), without writing anything anywhere."""
        held = screen(syncs) if screen else {}
        reports = []
        will_write: set[RecordRef] = set()
        for sync in (s for s in syncs if s.name not in held):
            report = SyncReport(sync.name)
            decisions = self._gated(
                sync, plan_sync(self.ledger, sync, self._operations(sync), will_write)
            )
            for decision in decisions:
                report.add(decision.column)
                if decision.finding:
                    report.holds.append(_hold_line(decision))
                if decision.action is Action.WRITE:
                    will_write.add((sync.target, decision.op.natural_key))
                    if len(report.samples) < SAMPLE_SIZE:
                        report.samples.append(
                            {
                                "operation": decision.op.operation,
                                "natural_key": decision.op.natural_key,
                                "changes": field_changes(decision.op),
                            }
                        )
            report.dead_letters_open = self.ledger.open_dead_letter_count(sync.target, sync.entity)
            reports.append(report)
        return PushReport(run_id=None, syncs=reports, dry_run=True, held=held)

    def push(
        self, syncs: list[SyncDefinition], command: str = "push", screen: Screen | None = None
    ) -> PushReport:
        """Run the plan, sync by sync, recorded as a run (see the module docstring). `screen`
        names syncs to hold, with why (run inside the run, so its failure is recorded too).
        Raises `PushInterrupted` on Ctrl-C, and re-raises any error, after recording the run."""
        run = RunRecorder(self.ledger, command)
        report = run.report
        if self.on_run_started:
            with self.ledger.locked():
                self.on_run_started(self.con)
        try:
            report.held = screen(syncs) if screen else {}
            for sync in (s for s in syncs if s.name not in report.held):
                sync_report = SyncReport(sync.name)
                report.syncs.append(sync_report)
                self._push_sync(sync, run.run_id, sync_report)
        except KeyboardInterrupt as exc:
            run.finish_after(exc)
            raise PushInterrupted(report) from exc
        except BaseException as exc:
            run.finish_after(exc)
            raise
        if report.ok:
            run.finish(states.SUCCEEDED)
        else:
            failed, dead = report.total("failed"), report.total("dead_lettered")
            first = next((e for s in report.syncs for e in s.errors), "")
            run.finish(
                states.RUN_FAILED,
                f"{failed} records failed and {dead} became dead letters; first: {first}",
            )
        return report

    def _push_sync(self, sync: SyncDefinition, run_id: str, report: SyncReport) -> None:
        started = time.monotonic()
        operations = self._operations(sync)
        decisions = self._gated(sync, plan_sync(self.ledger, sync, operations))
        for decision in decisions:
            report.add(decision.column)
        # The plan holds these without writing them: they stay their records' current intents.
        self.ledger.mark_planned(
            d.intent.key
            for d in decisions
            if d.intent
            and d.action in (Action.APPLIED, Action.DISCARDED, Action.HELD, Action.REJECTED)
        )
        for decision in decisions:
            if decision.action is Action.WAITING:  # visible in the ledger while it waits
                self._record_intent(sync, decision.op, run_id)
            elif decision.finding:  # held by the gate now: recorded, never sent
                intent = self._record_intent(sync, decision.op, run_id)
                self.ledger.hold(
                    intent.key,
                    decision.op.payload(),
                    decision.finding.reasons,
                    decision.finding.scores_json(),
                )
                report.holds.append(_hold_line(decision))
        to_write = [d for d in decisions if d.action is Action.WRITE]
        writer = self.writers(sync.target) if to_write else None
        pace = TokenBucket(sync.rate) if sync.rate else None

        def push_row(decision: Decision, last_round: bool) -> str:
            assert writer is not None
            intent = self._record_intent(sync, decision.op, run_id)  # committed before any call
            op = Operation(sync, decision.op.row, intent)
            status = self._push_one(
                sync, op, intent, writer, pace, run_id, report, last_round, decision.parent_ids
            )
            if status != OUTCOME_UNKNOWN:
                report.add(status)
            return status

        todo, done = to_write, len(decisions) - len(to_write)
        pool = ThreadPoolExecutor(sync.concurrency, thread_name_prefix=f"push-{sync.name}")
        try:
            for round_no in range(SETTLE_ROUNDS + 1):
                if not todo:
                    break
                if round_no:
                    time.sleep(self.settle_seconds)  # writes the server may still be running land
                last_round = round_no == SETTLE_ROUNDS
                unsettled = []
                # map() yields in order as records finish; an error escapes only after the pool
                # has let the records already in flight finish and record their outcomes.
                statuses = pool.map(partial(push_row, last_round=last_round), todo)
                for decision, status in zip(todo, statuses, strict=True):
                    if status == OUTCOME_UNKNOWN:
                        unsettled.append(decision)
                        continue
                    done += 1
                    if self.on_progress:
                        elapsed = time.monotonic() - started
                        self.on_progress(
                            Progress(sync.name, done, len(decisions), report.snapshot(), elapsed)
                        )
                todo = unsettled
        finally:
            # On an interrupt or an error, records not started yet are dropped at once; those in
            # flight finish and record their outcomes (each bounded by the HTTP timeouts).
            pool.shutdown(wait=True, cancel_futures=True)
        planned = {d.key for d in decisions if d.action is not Action.NOT_ALLOWED}
        report.add(
            "superseded",
            self.ledger.supersede_unplanned(sync.target, sync.entity, planned, run_id),
        )
        report.dead_letters_open = self.ledger.open_dead_letter_count(sync.target, sync.entity)
        report.seconds = time.monotonic() - started
        log.info("pushed", extra={"sync": sync.name, "counts": dict(report.snapshot())})

    def _gated(self, sync: SyncDefinition, decisions: list[Decision]) -> list[Decision]:
        return gate_decisions(self.con, sync, decisions) if self.gate else decisions

    def _operations(self, sync: SyncDefinition) -> list[Operation]:
        """The sync model's rows, with the fields operators edited in their dead letters'
        payloads (`Ledger.edit_payload`) in place of what the model planned."""
        operations = read_operations(self.con, sync)
        edits = self.ledger.payload_edits(sync.target, sync.entity)
        if not edits:
            return operations
        return [
            Operation(op.sync, {**op.row, **edits[key]}, op.intent)
            if (key := intent_key(sync.target, op.entity, op.natural_key, op.content_hash)) in edits
            else op
            for op in operations
        ]

    def _record_intent(self, sync: SyncDefinition, op: Operation, run_id: str) -> Intent:
        return self.ledger.record_intent(
            sync.target,
            op.entity,
            op.natural_key,
            op.content_hash,
            op.operation,
            run_id,
            json.dumps(op.payload(), sort_keys=True, default=str),
        )

    def _push_one(
        self,
        sync: SyncDefinition,
        op: Operation,
        intent: Intent,
        writer: Writer,
        pace: TokenBucket | None,
        run_id: str,
        report: SyncReport,
        last_round: bool = True,
        parent_ids: dict[str, str] | None = None,
    ) -> str:
        """Write one record the planner decided to write; returns its outcome."""
        parent_ids = parent_ids or {}
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
        except Unavailable as exc:  # the target does not offer the call: a retry cannot help
            self.ledger.dead_letter(intent, op.payload(), str(exc), exc.code)
            report.errors.append(f"{op.natural_key}: {exc}")
            return "dead_lettered"
        except LedgerlinkError as exc:
            return self._failed(sync, op, exc, report)
        raise AssertionError("unreachable: every try returns or raises")

    def _attempt(
        self,
        op: Operation,
        intent: Intent,
        writer: Writer,
        pace: TokenBucket | None,
        run_id: str,
        parent_ids: dict[str, str],
        look_up: bool,
    ) -> str:
        """One try: look the record up by its natural key when it may exist, then write. The
        try, its HTTP exchanges and its answer are kept in the ledger (`ops.sync_attempts`)."""
        with exchanges.capture() as seen:
            try:
                status, target_id = self._try(op, intent, writer, pace, run_id, parent_ids, look_up)
            except Exception as exc:
                self.ledger.finish_attempt(intent.key, run_id, "failed", error=exc, exchanges=seen)
                raise
        self.ledger.finish_attempt(intent.key, run_id, status, target_id=target_id, exchanges=seen)
        return status

    def _try(
        self,
        op: Operation,
        intent: Intent,
        writer: Writer,
        pace: TokenBucket | None,
        run_id: str,
        parent_ids: dict[str, str],
        look_up: bool,
    ) -> tuple[str, str | None]:
        if look_up:
            found = writer.find(op)
            if found is not None and found.status == DIFFERS and found.target_id:
                op = onto_existing(op, found.target_id)  # update it, never a second one
            elif found is not None:
                status = "created" if self.ledger.intent(intent.key).attempts else "unchanged"
                self._applied(op, status, found.target_id, found.links)
                return status, found.target_id
        if pace is not None:
            pace.acquire()
        self.ledger.begin_attempt(
            intent.key, run_id, json.dumps(op.payload(), sort_keys=True, default=str)
        )
        result = writer.write(op, parent_ids)
        self._applied(op, result.status, result.target_id, result.links)
        return result.status, result.target_id

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
