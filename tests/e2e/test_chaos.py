"""Chaos: about 10% of the API calls of the pushes fail (429, 5xx, timeouts, connections dropped
before and after the server committed) over more than 1,000 records (`make soak`; 250 in
`make test`). The sync converges within
3 runs, with no record written twice and none lost, counted in the targets and in the ledger.

The world is scaled up so that one plan holds over 1,000 records for both targets: FreshBooks
expenses become Infor GL journals (five M3 writes each), shop orders become FreshBooks clients
and invoices. Each run is what `ledgerlink sync` does: extract, plan (dbt), push. The faults
are on during every push (the extracts read the truth), and after the third run nothing may
be left to plan.

The emulators inject 429s, 5xx answers, connections dropped before the request is handled, and
slow answers that outlast the client's timeout (the emulator still runs the request: the write
commits after the client gave up). An answer dropped *after* the server committed needs
something in between, so both targets are reached through a loopback proxy that forwards each
request and, for a seeded share of the calls the emulator answered with success, closes the
client's connection instead of passing the answer on.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import httpx
import pytest
import uvicorn
from conftest import clear_faults, inject_faults, serving_in_thread

from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.connectors.infor import InforClient
from ledgerlink.dbt import build_models
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from pipelines.extract import extract
from reverse_etl.runner import Pusher, PushReport, select_syncs
from reverse_etl.targets import TargetWriters

# `make soak` (LEDGERLINK_SOAK=1) pushes a little over 1,000 records through the faults;
# `make test` about 250, which meets every kind of fault many times over.
SOAK = os.environ.get("LEDGERLINK_SOAK") == "1"
SCALE = 4.5 if SOAK else 1.1  # the generator's scale at which the syncs plan that many
MIN_RECORDS = 1_000 if SOAK else 250
RUNS = 3
FAULTY_RUNS = RUNS  # the chaos lasts every push
SYNCS = ["infor_gl_journals", "freshbooks_clients", "freshbooks_invoices"]
MODELS = {sync.name: sync.model for sync in select_syncs(SYNCS)}

TIMEOUT_SECONDS = 0.25  # HTTP_TIMEOUT_SECONDS of the pushes; a slow answer outlasts it
SLOW_SECONDS = 0.5
SETTLE_SECONDS = 2 * SLOW_SECONDS  # a slow write has landed before its look-up
RETRY_AFTER_SECONDS = 0.02

# The API routes of each emulator (not OAuth, not `/_sandbox`), and the M3 writes (all GETs).
API_PATHS = {"freshbooks": r"^/accounting/", "infor": r"/M3/m3api-rest/"}
M3_WRITES = r"/execute/[A-Z0-9]+MI/(?!Get|Lst|Sel|Search|List)"
FRESHBOOKS_WRITES = ("POST", "PUT", "DELETE")

# Share of the API calls per fault, about 10% in all. An emulator applies its rules in order
# (the first that fires wins); the proxy then drops a share of the successful answers.
EVERY_CALL = (
    {"kind": "status", "status": 429, "retry_after": RETRY_AFTER_SECONDS, "rate": 0.025},
    {"kind": "status", "status": 500, "rate": 0.01},
    {"kind": "status", "status": 502, "rate": 0.01},
    {"kind": "status", "status": 503, "rate": 0.01},
    {"kind": "drop", "rate": 0.01},  # before the server handled the request
)
WRITES_ONLY = ({"kind": "slow", "delay_seconds": SLOW_SECONDS, "rate": 0.01},)  # timeouts cost
DROP_AFTER_COMMIT_RATE = 0.035
FAULT_KINDS = ("429", "500", "502", "503", "drop", "slow", "drop after commit")


def emulator_rules(target: str) -> list[dict]:
    api = API_PATHS[target]
    rules = [{**rule, "path": api} for rule in EVERY_CALL]
    for rule in WRITES_ONLY:
        if target == "freshbooks":
            rules += [{**rule, "method": method, "path": api} for method in FRESHBOOKS_WRITES]
        else:
            rules.append({**rule, "path": M3_WRITES})
    return rules


def is_write(target: str, method: str, path: str) -> bool:
    if target == "freshbooks":
        return method in FRESHBOOKS_WRITES
    return re.search(M3_WRITES, path) is not None


# --- the proxy that drops answers after the server committed -----------------------------------
@dataclass
class DropAfterCommit:
    """ASGI app forwarding every request to `upstream`. While `rate` is set, it closes the
    client's connection instead of relaying a successful answer to that share of the API calls."""

    target: str
    upstream: str
    seed: int
    rate: float = 0.0
    dropped: Counter[str] = field(default_factory=Counter)  # "read" / "write"

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._api = re.compile(API_PATHS[self.target])
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=60)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if scope["query_string"]:
            raw_path += b"?" + scope["query_string"]
        not_forwarded = (b"host", b"connection", b"keep-alive", b"accept-encoding")
        request = self._client.build_request(
            scope["method"],
            httpx.URL(self.upstream).copy_with(raw_path=raw_path),
            headers=[(k, v) for k, v in scope["headers"] if k not in not_forwarded],
            content=bytes(body),
        )
        response = await self._client.send(request)
        method, path = scope["method"], scope["path"]
        # The draw comes last, so the sequence depends only on the successful API calls.
        if self.rate and response.is_success and self._api.search(path) and self._draw():
            self.dropped["write" if is_write(self.target, method, path) else "read"] += 1
            _drop_connection(send)  # the server did the work; the client never hears of it
            return
        skipped = (b"content-length", b"transfer-encoding", b"connection", b"content-encoding")
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in skipped]
        headers.append((b"content-length", str(len(response.content)).encode()))
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": response.content})

    def _draw(self) -> bool:
        return self._rng.random() < self.rate

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _drop_connection(send: Any) -> None:
    """Close the socket under the request without an answer (as `sandbox.faults` does)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("chaos proxy: dropped connection")
    transport.close()


@contextmanager
def serving(app: DropAfterCommit) -> Iterator[str]:
    """Run `app` on a free loopback port in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="critical", access_log=False, timeout_keep_alive=30)
    with serving_in_thread(uvicorn.Server(config), sock, "chaos proxy"):
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


# --- the chaos, on during pushes only ---------------------------------------------------------
@dataclass
class Chaos:
    urls: dict[str, str]  # the emulators
    proxies: dict[str, DropAfterCommit]
    fired: Counter[tuple[str, str]] = field(default_factory=Counter)  # (target, kind)
    calls: int = 0  # requests the emulators received while the faults were on

    @contextmanager
    def on(self) -> Iterator[None]:
        before = self._requests()
        for target, proxy in self.proxies.items():
            inject_faults(self.urls[target], *emulator_rules(target))
            proxy.rate = DROP_AFTER_COMMIT_RATE
        try:
            yield
        finally:
            for target, proxy in self.proxies.items():
                proxy.rate = 0.0
                rules = httpx.get(f"{self.urls[target]}/_sandbox/faults", timeout=10).json()
                for rule in rules["rules"]:
                    kind = str(rule["status"]) if rule["kind"] == "status" else rule["kind"]
                    self.fired[target, kind] += rule["fired"]
                clear_faults(self.urls[target])
            self.calls += self._requests() - before

    def _requests(self) -> int:
        return sum(
            httpx.get(f"{self.urls[target]}/_sandbox/stats", timeout=10).json().get("requests", 0)
            for target in self.proxies
        )

    def injected(self) -> Counter[tuple[str, str]]:
        counts = Counter(self.fired)
        for target, proxy in self.proxies.items():
            counts[target, "drop after commit"] = sum(proxy.dropped.values())
        return counts


def reset_world(urls: dict[str, str], scale: float) -> None:
    for url in urls.values():
        httpx.post(f"{url}/_sandbox/reset", json={"scale": scale}, timeout=300).raise_for_status()


def through(settings: Settings, proxies: dict[str, str]) -> Settings:
    """The same settings (home, warehouse, tokens) reaching both APIs through the proxies, with
    a short timeout so that a slow answer times out quickly."""
    assert settings.infor_ionapi_file is not None
    ionapi = json.loads(settings.infor_ionapi_file.read_text())
    ionapi["iu"] = proxies["infor"]  # M3 calls; the token endpoint (`pu`) stays direct
    ionapi_file = settings.home / "chaos.ionapi"
    ionapi_file.write_text(json.dumps(ionapi))
    ionapi_file.chmod(0o600)
    return settings.model_copy(
        update={
            "freshbooks_api_url": proxies["freshbooks"],
            "infor_ionapi_file": ionapi_file,
            "http_timeout_seconds": TIMEOUT_SECONDS,
        }
    )


# --- plans and pushes ---------------------------------------------------------------------------
Plan = dict[str, list[dict[str, Any]]]  # sync -> planned rows


def plan(settings: Settings) -> Plan:
    """Extract every source, build the selected sync models, and read what they plan."""
    extract(settings)
    build_models(settings, *(f"+{model}" for model in MODELS.values()), with_tests=False)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        planned = {}
        for name, model in MODELS.items():
            cursor = con.execute(f"select * from sync.{model}")
            columns = [d[0] for d in cursor.description]
            planned[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return planned


def push(settings: Settings) -> PushReport:
    # Tests measure behaviour, not politeness: no pacing between records (syncs.yml's `rate`).
    syncs = [sync.model_copy(update={"rate": 10_000.0}) for sync in select_syncs(SYNCS)]
    with (
        writer_lock(settings, "chaos push"),
        connect(settings, read_only=False) as con,
        TargetWriters(settings) as writers,
    ):
        # the pre-posting gate is off: this measures writes under faults, not what is held
        return Pusher(con, writers, settle_seconds=SETTLE_SECONDS, gate=False).push(syncs)


def target_counts(urls: dict[str, str]) -> dict[str, int]:
    """Records in the targets (every state), from the emulators' own counts."""
    freshbooks = httpx.get(f"{urls['freshbooks']}/_sandbox/freshbooks/counts", timeout=30).json()
    infor = httpx.get(f"{urls['infor']}/_sandbox/infor/counts", timeout=30).json()
    return {
        "freshbooks clients": freshbooks["clients"]["total"],
        "freshbooks invoices": freshbooks["invoices"]["total"],
        "infor gl batches": infor["gl_batches"],
    }


def ledger(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@dataclass
class Outcome:
    plans: list[Plan]  # before each run, and after the last one
    reports: list[PushReport]
    counts_before: dict[str, int]
    retried_in_first_run: int  # records whose write ended without a known outcome
    chaos: Chaos

    @property
    def planned(self) -> Plan:
        return self.plans[0]


@pytest.fixture(scope="module")
def outcome(sandbox: dict, module_settings: Settings) -> Iterator[Outcome]:
    urls = sandbox["urls"]
    scale_before = httpx.get(f"{urls['shop']}/_sandbox/health", timeout=10).json()["scale"]
    reset_world(urls, SCALE)
    try:
        settings = module_settings
        authorize_headless(settings, FreshBooksTokenManager(settings))
        proxies = {
            target: DropAfterCommit(target, urls[target], seed=seed)
            for target, seed in (("freshbooks", 11), ("infor", 12))
        }
        with serving(proxies["freshbooks"]) as fb_proxy, serving(proxies["infor"]) as m3_proxy:
            chaotic = through(settings, {"freshbooks": fb_proxy, "infor": m3_proxy})
            chaos = Chaos(urls, proxies)
            counts_before = target_counts(urls)
            plans = [plan(settings)]
            reports: list[PushReport] = []
            unknown = 0
            for run in range(RUNS):
                if not any(plans[-1].values()):
                    break
                if run < FAULTY_RUNS:
                    with chaos.on():
                        reports.append(push(chaotic))
                else:
                    reports.append(push(chaotic))
                if run == 0:  # records a failed or unknown write made the push try again
                    unknown = ledger(
                        settings, "select count(*) from ops.sync_records where attempts > 1"
                    )[0][0]
                plans.append(plan(settings))
        yield Outcome(plans, reports, counts_before, unknown, chaos)
    finally:
        reset_world(urls, scale_before)  # the other modules expect the session's world


# --- the tests ----------------------------------------------------------------------------------
def test_hundreds_of_records_met_about_ten_percent_faults(outcome):
    planned = {name: len(rows) for name, rows in outcome.planned.items()}
    assert sum(planned.values()) >= MIN_RECORDS, planned
    assert all(planned.values()), planned  # both targets, every selected sync

    injected = outcome.chaos.injected()
    missing = [
        (t, kind) for t in ("freshbooks", "infor") for kind in FAULT_KINDS if not injected[t, kind]
    ]
    assert missing == [], injected
    assert all(proxy.dropped["write"] for proxy in outcome.chaos.proxies.values())
    share = sum(injected.values()) / outcome.chaos.calls
    assert 0.08 <= share <= 0.13, (share, outcome.chaos.calls, injected)

    # the faults hurt: records needed another try (after looking themselves up) in the first run
    assert outcome.retried_in_first_run > 0


def test_converges_within_three_runs(outcome):
    assert len(outcome.reports) <= RUNS
    left = {name: len(rows) for name, rows in outcome.plans[-1].items()}
    failed = [report.total("failed") for report in outcome.reports]
    errors = [e for report in outcome.reports for s in report.syncs for e in s.errors]
    assert left == dict.fromkeys(left, 0), (left, failed, errors[:8], errors[-4:])
    # The runs only finished what the first plan held: no later plan found something new to
    # write (a duplicate to update, a record half-written under another key).
    first = {(name, row["natural_key"]) for name, rows in outcome.planned.items() for row in rows}
    later = {
        (name, row["natural_key"])
        for p in outcome.plans[1:]
        for name, rows in p.items()
        for row in rows
    }
    assert later <= first, sorted(later - first)[:10]
    assert outcome.reports[-1].ok, [e for s in outcome.reports[-1].syncs for e in s.errors][:5]


def test_every_record_is_in_the_targets_exactly_once(outcome, module_settings, sandbox):
    planned = outcome.planned
    emails = {str(row["email"]).lower() for row in planned["freshbooks_clients"]}
    numbers = {str(row["invoice_number"]) for row in planned["freshbooks_invoices"]}
    batch_keys = {str(row["KEY1"]) for row in planned["infor_gl_journals"]}
    created = {
        name: sum(r["operation"] == "create" for r in rows) for name, rows in planned.items()
    }

    with FreshBooksClient.from_settings(module_settings) as fb:
        clients = Counter(
            str(c.get("email") or "").lower()
            for c in fb.list_raw("clients", search=Search(), include=())
        )
        invoices = Counter(
            str(i["invoice_number"]) for i in fb.list_raw("invoices", search=Search(), include=())
        )
    assert {e: clients[e] for e in emails if clients[e] != 1} == {}
    assert {n: invoices[n] for n in numbers if invoices[n] != 1} == {}

    days = [
        date(int(d[:4]), int(d[4:6]), int(d[6:8]))
        for row in planned["infor_gl_journals"]
        for d in (line["ACDT"] for line in json.loads(row["lines"]))
    ]
    with InforClient.from_settings(module_settings) as infor:
        lines = infor.general_ledger.vouchers_between(min(days), max(days))
    vouchers: dict[str, set] = {}
    for line in lines:  # a posted journal is found by the batch key leading its voucher text
        key = (line.voucher_text or "").split(" ")[0]
        vouchers.setdefault(key, set()).add((line.year, line.journal_number, line.voucher_number))
    assert {k: len(vouchers.get(k, ())) for k in batch_keys if len(vouchers.get(k, ())) != 1} == {}

    # Each target grew by exactly the records planned as creates: nothing twice, nothing lost.
    before, after = outcome.counts_before, target_counts(sandbox["urls"])
    grown = {name: after[name] - before[name] for name in after}
    assert grown == {
        "freshbooks clients": created["freshbooks_clients"],
        "freshbooks invoices": created["freshbooks_invoices"],
        "infor gl batches": len(batch_keys),
    }


APPLIED = ("created", "updated", "unchanged")
Intents = list[tuple[str, int]]  # (status, attempts) of each intent of one record


def intents_by_record(outcome: Outcome, settings: Settings) -> dict[tuple[str, str], Intents]:
    """The ledger's intents of every planned record (a record's content, and so its intent,
    can change between plans: an invoice learns its new client's id)."""
    rows = ledger(settings, "select entity, natural_key, status, attempts from ops.sync_records")
    intents: dict[tuple[str, str], Intents] = {}
    for entity, natural_key, status, attempts in rows:
        intents.setdefault((entity, natural_key), []).append((status, attempts))
    return {
        (row["entity"], row["natural_key"]): intents.get((row["entity"], row["natural_key"]), [])
        for rows in outcome.planned.values()
        for row in rows
    }


def test_the_ledger_has_every_record_written_and_no_dead_letter(outcome, module_settings):
    """Every planned record is applied in the ledger, or its writes ended without a known
    outcome and the next plan found it in the target (which holds it exactly once, see above),
    which closed the intent as superseded. No dead letter."""
    assert ledger(module_settings, "select count(*) from ops.dead_letters") == [(0,)]
    wrong = {
        record: intents
        for record, intents in intents_by_record(outcome, module_settings).items()
        if not any(status in APPLIED or (status == "superseded" and n) for status, n in intents)
    }
    assert wrong == {}, f"{len(wrong)} records: {list(wrong.items())[:10]}"


def test_the_ledger_settles_every_record(outcome, module_settings):
    """No intent is left open: an intent the plan dropped (its write landed with an unknown
    outcome, or newer content replaced it) is closed as superseded."""
    unsettled = {
        record: intents
        for record, intents in intents_by_record(outcome, module_settings).items()
        if not intents or any(status not in (*APPLIED, "superseded") for status, _ in intents)
    }
    assert unsettled == {}, f"{len(unsettled)} records: {list(unsettled.items())[:5]}"
