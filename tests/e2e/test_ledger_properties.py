"""No sequence of ordinary operator actions leaves the next sync unable to run.

Hypothesis drives random sequences of actions against the real ledger, planner and writers and
the sandbox: pushes (of a rebuilt plan, or of the same plan again as when nobody ran dbt in
between), dead letter replays and discards of any letter (replayed, resolved and discarded ones
included), faults injected in both emulators (`/_sandbox/faults`: 5xx, slow answers that outlast
the client, dropped connections; `/_sandbox/infor/faults`: M3 refusals), new records (some
waiting for a parent), content changes of planned records (some that our validation refuses),
and pushes interrupted mid-way (KeyboardInterrupt from the progress callback, or from inside a
write, before or after it reaches the target). Two synthetic syncs keep it fast: FreshBooks
clients (a lost answer could make a duplicate) and Infor customers (M3 refuses by script).

After every step:
- the ledger holds only declared states, a dead letter is open exactly when its record is
  dead-lettered, and no run is left `running`;
- no record is twice in a target; a record the ledger shows written is in the target, and a
  record in the target was tried by the ledger (nothing written behind its back);
- every push is preceded by a dry run that decides exactly what the push then does, and after
  a push nothing is lost: every planned row is written, waiting, failed (attempts left), held by
  an open dead letter, or discarded by an operator.
At the end of each example, with the faults lifted and the dead letters replayed (or discarded
where the content is still refused), two pushes run without error and leave the targets exactly
as the ledger says. Each example's ledger is kept; once all have run, dbt builds `sync_health`
over them with its tests, and its counts match each example's ledger.

`make test` runs 8 examples of 10 steps, the same ones each time; `make soak` runs many more,
longer and random (LEDGERLINK_SOAK=1; LEDGERLINK_SOAK_EXAMPLES to choose how many).
"""

from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from synthetic_syncs import Row, Targets, client, customer, push, unpaced, write_plan

from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.dbt import build_models
from ledgerlink.ops_schema import ensure_ops_schema
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect
from reverse_etl import states
from reverse_etl.definitions import SyncDefinition
from reverse_etl.ledger import Ledger, intent_key, record_state_counts
from reverse_etl.operations import Writer
from reverse_etl.planner import PLAN_COLUMNS
from reverse_etl.runner import Progress, PushInterrupted, PushReport
from reverse_etl.states import DEAD_LETTER, RECORD, IllegalTransition
from reverse_etl.targets import TargetWriters

SOAK = os.environ.get("LEDGERLINK_SOAK") == "1"
EXAMPLES = int(os.environ.get("LEDGERLINK_SOAK_EXAMPLES", "200")) if SOAK else 8
STEPS = 30 if SOAK else 10
MAX_RECORDS = 5  # per sync and example: enough to collide, few enough to stay fast

TIMEOUT_SECONDS = 0.5  # the pushes' HTTP timeout: a slow answer outlasts it
SLOW_SECONDS = 1.0
SETTLE_SECONDS = 1.3  # a slow write has landed before the runner looks it up again

KINDS = ("clients", "customers")
FRESHBOOKS_CREATE = {"method": "POST", "path": r"/users/clients$"}
FRESHBOOKS_UPDATE = {"method": "PUT", "path": r"/users/clients/\d+$"}
M3_CUSTOMER_WRITES = r"/execute/CRS610MI/(Add|ChgBasicData)$"
FAULTS: dict[str, tuple[str, dict[str, Any]]] = {  # name -> (target, rule)
    "freshbooks 503 once": ("freshbooks", {"kind": "status", "status": 503, "count": 1}),
    "freshbooks 503 for good": ("freshbooks", {"kind": "status", "status": 503, "count": 8}),
    "freshbooks slow": ("freshbooks", {"kind": "slow", "delay_seconds": SLOW_SECONDS, "count": 1}),
    "freshbooks drop": ("freshbooks", {"kind": "drop", "count": 1}),
    "m3 refuses": ("infor", {"program": "CRS610MI", "count": 2}),
    "m3 500": ("infor", {"kind": "status", "status": 500, "count": 2, "path": M3_CUSTOMER_WRITES}),
    "m3 slow": (
        "infor",
        {"kind": "slow", "delay_seconds": SLOW_SECONDS, "count": 1, "path": M3_CUSTOMER_WRITES},
    ),
}


def arm(urls: dict[str, str], name: str, on_update: bool) -> None:
    """Add the fault `name` to the emulator's rules (armed rules add up until lifted)."""
    target, rule_ = FAULTS[name]
    if "program" in rule_:  # a scripted M3 refusal
        transaction = "ChgBasicData" if on_update else "Add"
        body = {**rule_, "transaction": transaction, "errorMessage": "Refused by the test"}
        httpx.post(
            f"{urls['infor']}/_sandbox/infor/faults", json=body, timeout=10
        ).raise_for_status()
        return
    if target == "freshbooks":
        rule_ = {**rule_, **(FRESHBOOKS_UPDATE if on_update else FRESHBOOKS_CREATE)}
    httpx.post(
        f"{urls[target]}/_sandbox/faults", json={"rules": [rule_]}, timeout=10
    ).raise_for_status()


def lift_faults(urls: dict[str, str]) -> None:
    for target in ("freshbooks", "infor"):
        httpx.delete(f"{urls[target]}/_sandbox/faults", timeout=10).raise_for_status()
    httpx.delete(f"{urls['infor']}/_sandbox/infor/faults", timeout=10).raise_for_status()


class InterruptingWriter:
    """A target's writer whose `nth` write (counted over both targets) raises KeyboardInterrupt,
    before the write is sent or after the target has done it (its answer is then lost)."""

    def __init__(self, writer: Writer, count: itertools.count, nth: int, after: bool) -> None:
        self.writer, self.count, self.nth, self.after = writer, count, nth, after

    def find(self, op: Any) -> Any:
        return self.writer.find(op)

    def write(self, op: Any, parent_ids: dict[str, str]) -> Any:
        stop = next(self.count) == self.nth
        if stop and not self.after:
            raise KeyboardInterrupt
        result = self.writer.write(op, parent_ids)
        if stop:
            raise KeyboardInterrupt
        return result


@dataclass
class Kept:
    """An example's ledger, copied into the warehouse dbt checks once every example has run."""

    suffix: str
    counts: list[tuple[str, str, str, int]] = field(default_factory=list)


class LedgerMachine(RuleBasedStateMachine):
    base: ClassVar[Settings]  # the module's home: tokens and sandbox settings
    urls: ClassVar[dict[str, str]]
    folder: ClassVar[Path]
    kept: ClassVar[list[Kept]]

    def __init__(self) -> None:
        super().__init__()
        self.tag = uuid.uuid4().hex[:5]
        self.settings = self.base.model_copy(
            update={
                "warehouse_path": self.folder / f"example-{self.tag}.duckdb",
                "http_timeout_seconds": TIMEOUT_SECONDS,
            }
        )
        # A failed client is a dead letter at once; a customer gets a second run.
        self.syncs: dict[str, SyncDefinition] = {
            "clients": unpaced("freshbooks_clients", max_attempts=1, concurrency=2),
            "customers": unpaced("infor_customers", max_attempts=2, concurrency=2),
        }
        self.world: dict[str, dict[str, Row]] = {kind: {} for kind in KINDS}
        self.versions = itertools.count(1)
        self.planned: dict[str, list[Row]] = {kind: [] for kind in KINDS}  # the sync tables
        self.pushed_plan = False  # the last step was a push that ran to its end
        self.targets = Targets(self.base)
        lift_faults(self.urls)

    # --- the world and its plan ---------------------------------------------------------------
    def row(self, kind: str, key: str, version: int, valid: bool, depends_on: str | None) -> Row:
        if kind == "clients":
            return client(
                key,
                f"Ada{version} Test{self.tag}",
                currency="USD" if valid else "usd!",  # refused by our validation
                depends_on=depends_on,
            )
        name = f"Customer {self.tag} v{version}"
        return customer(key, name if valid else name.ljust(40, "x"), depends_on=depends_on)

    def rebuild_plan(self) -> None:
        """What dbt plans from the world: rows whose content the ledger does not show written
        and the target does not hold yet; an update where the target has the record."""
        ledger = self.read_ledger()
        for kind, sync in self.syncs.items():
            rows = []
            for row in self.world[kind].values():
                key = intent_key(sync.target, sync.entity, row.natural_key, row.content_hash())
                if ledger.get(key, ("",))[0] in states.WRITTEN or self.targets.holds(sync, row):
                    continue
                exists = self.targets.count(sync, row.natural_key) > 0
                rows.append(row if not exists or kind == "clients" else updating(row))
            self.planned[kind] = rows
            write_plan(self.settings, sync, rows)

    def read_ledger(self) -> dict[str, tuple[str, int, str]]:
        """Intent key -> (state, attempts, natural key); empty before the first push."""
        if not self.settings.warehouse.exists():
            return {}
        with duckdb.connect(str(self.settings.warehouse), read_only=True) as con:
            try:
                rows = con.execute(
                    "select intent_key, status, attempts, natural_key from ops.sync_records"
                ).fetchall()
            except duckdb.CatalogException:
                return {}
        return {key: (status, attempts, natural_key) for key, status, attempts, natural_key in rows}

    def ops(self, sql: str) -> list[tuple]:
        if not self.settings.warehouse.exists():
            return []
        with duckdb.connect(str(self.settings.warehouse), read_only=True) as con:
            try:
                return con.execute(sql).fetchall()
            except duckdb.CatalogException:
                return []

    # --- rules ------------------------------------------------------------------------------
    @initialize(valid=st.lists(st.booleans(), min_size=4, max_size=4))
    def a_first_push(self, valid: list[bool]) -> None:
        """Two records of each sync (some refused by our validation), pushed once."""
        for kind, ok in zip(KINDS * 2, valid, strict=True):
            self.add_record(kind, ok, "none")
        self.dry_run_then_push(rebuild=True)

    @precondition(lambda self: sum(map(len, self.world.values())) < 2 * MAX_RECORDS)
    @rule(
        kind=st.sampled_from(KINDS),
        valid=st.booleans(),
        parent=st.sampled_from(["none", "none", "missing", "sibling"]),
    )
    def add_record(self, kind: str, valid: bool, parent: str) -> None:
        n = len(self.world[kind])
        key = f"p{n}.{self.tag}@example.org" if kind == "clients" else f"P{self.tag.upper()}{n:02d}"
        depends_on = {
            "none": None,
            "missing": f"missing-{self.tag}",  # never written: the row waits for good
            "sibling": next(iter(self.world[kind]), None),  # written in an earlier push
        }[parent]
        self.world[kind][key] = self.row(kind, key, next(self.versions), valid, depends_on)
        self.pushed_plan = False

    @precondition(lambda self: any(self.world.values()))
    @rule(kind=st.sampled_from(KINDS), index=st.integers(0, MAX_RECORDS), valid=st.booleans())
    def change_content(self, kind: str, index: int, valid: bool) -> None:
        if not self.world[kind]:
            kind = next(k for k in KINDS if self.world[k])
        records = self.world[kind]
        key = list(records)[index % len(records)]
        old = records[key]
        records[key] = self.row(kind, key, next(self.versions), valid, old.depends_on)
        self.pushed_plan = False

    @rule(name=st.sampled_from(sorted(FAULTS)), on_update=st.booleans())
    def push_under_a_fault(self, name: str, on_update: bool) -> None:
        """Arm a fault for the next writes (`on_update`: of records the target has), then push
        a rebuilt plan; what the push leaves of the fault stays armed for later steps."""
        arm(self.urls, name, on_update)
        self.dry_run_then_push(rebuild=True)

    @rule(rebuild=st.booleans())
    def dry_run_then_push(self, rebuild: bool) -> None:
        """A dry run, then the push: the push decides exactly what the dry run showed. Without
        `rebuild`, the same plan is pushed again (nobody ran dbt in between)."""
        if rebuild or not self.settings.warehouse.exists():
            self.rebuild_plan()
        syncs = list(self.syncs.values())
        dry = push(self.settings, syncs, dry_run=True)
        report = push(self.settings, syncs, settle_seconds=SETTLE_SECONDS)
        assert plan_counts(dry) == plan_counts(report)
        self.check_run(report, states.SUCCEEDED if report.ok else states.RUN_FAILED)
        self.pushed_plan = True

    @rule(
        nth=st.integers(0, 3),
        where=st.sampled_from(["progress", "before a write", "after a write"]),
    )
    def interrupted_push(self, nth: int, where: str) -> None:
        self.rebuild_plan()
        syncs = list(self.syncs.values())
        count = itertools.count()

        def stop(progress: Progress) -> None:
            if next(count) == nth:
                raise KeyboardInterrupt

        def interrupting(targets: TargetWriters):
            return lambda target: InterruptingWriter(
                targets(target), count, nth, after=where == "after a write"
            )

        try:
            report = push(
                self.settings,
                syncs,
                settle_seconds=SETTLE_SECONDS,
                on_progress=stop if where == "progress" else None,
                writers=None if where == "progress" else interrupting,
            )
        except PushInterrupted as stopped:
            self.check_run(stopped.report, states.INTERRUPTED)
        else:  # fewer writes than `nth`: the push ran to its end
            self.check_run(report, states.SUCCEEDED if report.ok else states.RUN_FAILED)
        self.pushed_plan = False

    @precondition(
        lambda self: self.ops("select count(*) from ops.dead_letters") not in ([], [(0,)])
    )
    @rule(index=st.integers(0, 20), action=st.sampled_from(["replay", "discard"]))
    def operator_acts_on_a_letter(self, index: int, action: str) -> None:
        """Replay or discard any dead letter: an open one moves, any other is refused in one
        line and nothing changes."""
        with connect(self.settings, read_only=False) as con:
            ledger = Ledger(con)
            letters = ledger.dead_letters(None)
            letter = letters[index % len(letters)]
            key = letter["intent_key"]
            before = (ledger.intent(key).status, letter["status"])
            try:
                getattr(ledger, action)(key)
            except IllegalTransition as refused:
                assert "\n" not in str(refused)
                after = (ledger.intent(key).status, ledger.find_dead_letter(key)["status"])
                assert after == before, (action, before, after)
                assert before[1] != states.LETTER_OPEN, f"{action} of an open letter refused"
            else:
                assert before[1] == states.LETTER_OPEN, (action, before)
        self.pushed_plan = False

    # --- invariants ---------------------------------------------------------------------------
    @invariant()
    def the_ledger_is_consistent(self) -> None:
        intents = {
            key: status
            for key, status in self.ops("select intent_key, status from ops.sync_records")
        }
        assert set(intents.values()) <= set(RECORD.names)
        for key, status in self.ops("select intent_key, status from ops.dead_letters"):
            assert status in DEAD_LETTER.names
            assert (status == states.LETTER_OPEN) == (intents[key] == states.DEAD_LETTERED), (
                status,
                intents[key],
            )
            if status == states.LETTER_REPLAYED:
                assert intents[key] in states.OPEN, intents[key]
        assert self.ops("select run_id from ops.sync_runs where status = 'running'") == []
        # An open dead letter holds its record: nothing of it is written after the letter.
        assert (
            self.ops(
                "select letter.natural_key from ops.dead_letters as letter "
                "join ops.sync_records as record using (target, entity, natural_key) "
                "where letter.status = 'open' and record.status in ('created', 'updated') "
                "and record.last_attempt_at > letter.failed_at"
            )
            == []
        )

    @invariant()
    def the_targets_hold_what_the_ledger_says_once(self) -> None:
        ledger = self.read_ledger()
        written = {n for s, _, n in ledger.values() if s in states.WRITTEN}
        tried = {n for s, attempts, n in ledger.values() if attempts > 0 or s in states.WRITTEN}
        for kind, sync in self.syncs.items():
            for key in self.world[kind]:
                found = self.targets.count(sync, key)
                assert found <= 1, f"{kind} {key} is {found} times in {sync.target}"
                if key in written:
                    assert found == 1, f"the ledger shows {kind} {key} written; it is not"
                if found:
                    assert key in tried, f"{kind} {key} is in {sync.target} but was never tried"

    @invariant()
    def nothing_planned_is_lost(self) -> None:
        """After a push that ran to its end, every planned row is written, waiting, failed
        with attempts left, held by an open dead letter, or discarded."""
        if not self.pushed_plan:
            return
        ledger = self.read_ledger()
        held = {
            n for (n,) in self.ops("select natural_key from ops.dead_letters where status = 'open'")
        }
        for kind, sync in self.syncs.items():
            for row in self.planned[kind]:
                key = intent_key(sync.target, sync.entity, row.natural_key, row.content_hash())
                status = ledger.get(key, (None,))[0]
                if row.natural_key in held or status in (*states.WRITTEN, states.DISCARDED):
                    continue
                assert status in (states.PENDING, states.FAILED), (kind, row.natural_key, status)

    # --- the end of an example ----------------------------------------------------------------
    def teardown(self) -> None:
        try:
            self.settle()
            self.keep_ledger()
        finally:
            lift_faults(self.urls)
            self.targets.close()

    def settle(self) -> None:
        """The operator's clean-up: faults lifted, letters replayed (or discarded while their
        content is still refused), then two pushes that must run without error."""
        lift_faults(self.urls)
        if not self.settings.warehouse.exists():
            return
        valid = {
            row.natural_key: row.payload.get("currency_code", "USD") == "USD"
            and len(row.payload.get("CUNM", "")) <= 36
            for rows in self.world.values()
            for row in rows.values()
        }
        with connect(self.settings, read_only=False) as con:
            ledger = Ledger(con)
            for letter in ledger.dead_letters():
                action = ledger.replay if valid[letter["natural_key"]] else ledger.discard
                action(letter["intent_key"])
        for _ in range(2):
            self.rebuild_plan()
            report = push(self.settings, list(self.syncs.values()), settle_seconds=SETTLE_SECONDS)
        assert report.total("failed") == 0, [e for s in report.syncs for e in s.errors]
        ledger = self.read_ledger()
        written = {n for s, _, n in ledger.values() if s in states.WRITTEN}
        for kind, sync in self.syncs.items():
            for row in self.world[kind].values():
                waits = row.depends_on is not None and row.depends_on not in written
                statuses = {s for s, _, n in ledger.values() if n == row.natural_key}
                if waits or not valid[row.natural_key] or states.DISCARDED in statuses:
                    continue
                assert self.targets.holds(sync, row), f"{kind} {row.natural_key} not written"
        self.the_ledger_is_consistent()
        self.the_targets_hold_what_the_ledger_says_once()

    def keep_ledger(self) -> None:
        """Copy this example's ledger into the warehouse dbt checks at the end, its entities
        suffixed with the example's number, and note its counts per record state."""
        if not self.settings.warehouse.exists():
            return
        suffix = f"_{len(self.kept)}"
        with duckdb.connect(str(self.settings.warehouse), read_only=True) as con:
            counts = [(t, e + suffix, s, n) for t, e, s, n in record_state_counts(con)]
        with duckdb.connect(str(self.folder / "examples.duckdb")) as con:
            ensure_ops_schema(con)
            con.execute(f"attach '{self.settings.warehouse}' as example (read_only)")
            try:
                for table in ("sync_records", "dead_letters", "sync_runs"):
                    columns = (
                        "*"
                        if table == "sync_runs"
                        else f"* replace (entity || '{suffix}' as entity)"
                    )
                    con.execute(
                        f"insert into ops.{table} by name select {columns} from example.ops.{table}"
                    )
            finally:
                con.execute("detach example")
        self.kept.append(Kept(suffix, counts))

    def check_run(self, report: PushReport, status: str) -> None:
        [(recorded, created)] = self.ops(
            f"select status, created from ops.sync_runs where run_id = '{report.run_id}'"
        )
        assert (recorded, created) == (status, report.total("created"))


def updating(row: Row) -> Row:
    """The same content as an update (the target has the record)."""
    return Row(row.natural_key, row.payload, row.depends_on, operation="update")


def plan_counts(report: PushReport) -> dict[str, int]:
    return {column: report.total(column) for column in PLAN_COLUMNS}


@pytest.fixture(scope="module")
def authorized(module_settings: Settings) -> Settings:
    authorize_headless(module_settings, FreshBooksTokenManager(module_settings))
    return module_settings


@pytest.mark.timeout(0 if SOAK else 300)
def test_no_sequence_of_operator_actions_wedges_the_ledger(authorized, sandbox, tmp_path):
    LedgerMachine.base = authorized
    LedgerMachine.urls = sandbox["urls"]
    LedgerMachine.folder = tmp_path
    LedgerMachine.kept = []
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=not SOAK,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )

    # dbt, once, over every example's ledger (each example's entities carry its number).
    everything = authorized.model_copy(update={"warehouse_path": tmp_path / "examples.duckdb"})
    built = build_models(everything, "+sync_health")
    assert [r["unique_id"] for r in built.failures()] == []
    with duckdb.connect(str(everything.warehouse), read_only=True) as con:
        cursor = con.execute("select * from marts.sync_health")
        names = [d[0] for d in cursor.description]
        mart = {(row[0], row[1]): dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    for kept in LedgerMachine.kept:
        for target, entity, state, n in kept.counts:
            assert mart[target, entity][f"{state}_count"] == n, (entity, state)
        per_entity: dict[tuple[str, str], int] = {}
        for target, entity, _, n in kept.counts:
            per_entity[target, entity] = per_entity.get((target, entity), 0) + n
        for (target, entity), n in per_entity.items():
            assert mart[target, entity]["record_count"] == n
