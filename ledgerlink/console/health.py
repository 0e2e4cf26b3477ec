"""The health page: per system pair and sync, the last run and its outcome, records by state,
lag per entity, 30 days of created / updated / failed / held, dead letters, the webhook inbox
and the next scheduled run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ledgerlink.console import web
from ledgerlink.console.charts import bars
from ledgerlink.console.reading import Snapshot, snapshot
from ledgerlink.settings import Settings
from ledgerlink.webhooks.inbox import Inbox
from reverse_etl.definitions import SyncDefinition
from reverse_etl.ledger import process_gone, record_state_counts
from reverse_etl.runner import select_syncs
from reverse_etl.states import CRASHED, LETTER_OPEN, RECORD, RUNNING

router = APIRouter()
DAYS = 30
SYSTEM_NAMES = {"freshbooks": "FreshBooks", "infor": "Infor M3", "shop": "Shop"}
# Where each entity's newest loaded record shows, in the snapshot: (system, entity, table,
# timestamp column). A table or column this deployment lacks is left out.
LAG_SOURCES = (
    ("freshbooks", "invoices", "marts.fct_invoices", "updated_at"),
    ("freshbooks", "payments", "marts.fct_payments", "updated_at"),
    ("freshbooks", "expenses", "marts.fct_expenses", "updated_at"),
    ("infor", "customer orders", "marts.fct_sales_orders", "ordered_on"),
    ("infor", "shipments", "marts.fct_shipments", "shipped_on"),
    ("infor", "customer invoices", "marts.fct_shipments", "invoiced_on"),
    ("infor", "GL vouchers", "marts.fct_gl_journal_lines", "accounted_on"),
)
SERIES = ("created", "updated", "failed", "held")


@dataclass
class SyncHealth:
    sync: SyncDefinition
    direction: str
    states: dict[str, int]
    last_run: dict[str, Any] | None
    open_letters: int
    held: int

    @property
    def attention(self) -> bool:
        return bool(
            self.open_letters
            or self.states.get("failed")
            or (self.last_run and self.last_run["status"] not in ("succeeded", RUNNING))
        )


def direction(sync: SyncDefinition) -> str:
    if sync.target == "infor":
        return "FreshBooks → Infor M3"
    source = "Shop" if "shop" in sync.requires else "Infor M3"
    return f"{source} → FreshBooks"


def sync_health(snap: Snapshot, settings: Settings) -> list[SyncHealth]:
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for target, entity, state, n in record_state_counts(snap.con):
        counts.setdefault((target, entity), {})[state] = n
    letters = {
        (r["target"], r["entity"]): r["n"]
        for r in snap.rows(
            "select target, entity, count(*) as n from ops.dead_letters where status = ? "
            "group by all",
            [LETTER_OPEN],
        )
    }
    held: dict[tuple[str, str], int] = {}
    if snap.has("sync", "sync_rejects"):
        held = {
            (r["target"], r["entity"]): r["n"]
            for r in snap.rows(
                "select target, entity, count(*) as n from sync.sync_rejects group by all"
            )
        }
    runs = {
        (r["target"], r["entity"]): r
        for r in snap.rows(
            "select r.target, r.entity, u.* from ("
            "  select target, entity, run_id, row_number() over (partition by target, entity "
            "  order by last_attempt_at desc nulls last) as n from ops.sync_records "
            "  where run_id is not null) r join ops.sync_runs u using (run_id) where r.n = 1"
        )
    }
    # What each sync's records did in its last run (a run spans every sync it pushed).
    in_run = {
        (r["target"], r["entity"], r["run_id"]): r
        for r in snap.rows(
            "select target, entity, run_id, "
            "count(*) filter (where status in ('failed', 'dead_lettered')) as failed, "
            "count(*) filter (where status in ('created', 'updated', 'unchanged')) as written "
            "from ops.sync_records where run_id is not null group by all"
        )
    }
    now = datetime.now(UTC).replace(tzinfo=None)
    for (target, entity), run in runs.items():
        mine = in_run.get((target, entity, run["run_id"]), {})
        run["sync_failed"], run["sync_written"] = mine.get("failed", 0), mine.get("written", 0)
        if run["status"] == RUNNING and process_gone(run, now):
            run["status"] = CRASHED
        command = run.get("command") or ""
        run["dagster_run_id"] = command.split(" ", 1)[1] if command.startswith("dagster ") else None
    return [
        SyncHealth(
            sync,
            direction(sync),
            counts.get((sync.target, sync.entity), {}),
            runs.get((sync.target, sync.entity)),
            letters.get((sync.target, sync.entity), 0),
            held.get((sync.target, sync.entity), 0),
        )
        for sync in select_syncs(None, settings.systems)
    ]


def lags(snap: Snapshot, settings: Settings) -> list[dict[str, Any]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    found = []
    for system, entity, table, column in LAG_SOURCES:
        schema, name = table.split(".")
        if not settings.system_enabled(system) or column not in snap.columns(schema, name):
            continue
        newest = snap.value(f'select max("{column}") from {table}')
        if newest is not None and not isinstance(newest, datetime):
            newest = datetime.combine(newest, datetime.min.time())
        found.append(
            {
                "system": SYSTEM_NAMES[system],
                "entity": entity,
                "newest": newest,
                "lag_seconds": (now - newest).total_seconds() if newest else None,
            }
        )
    return found


def daily(snap: Snapshot) -> dict[str, list[int]]:
    """Per day of the last `DAYS`: records created and updated (their latest write), failed
    tries, and dead letters opened (records held for a person)."""
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    since = days[0]
    per_day: dict[str, dict[Any, int]] = {name: {} for name in SERIES}
    for row in snap.rows(
        "select cast(last_attempt_at as date) as day, status, count(*) as n "
        "from ops.sync_records where status in ('created', 'updated') "
        "and last_attempt_at >= ? group by all",
        [since],
    ):
        per_day[row["status"]][row["day"]] = row["n"]
    if snap.has("ops", "sync_attempts"):
        failed_sql = (
            "select cast(finished_at as date) as day, count(*) as n from ops.sync_attempts "
            "where outcome in ('failed', 'dead_lettered') and finished_at >= ? group by all"
        )
    else:  # a ledger from before attempts were kept: the records whose last try failed
        failed_sql = (
            "select cast(last_attempt_at as date) as day, count(*) as n from ops.sync_records "
            "where status in ('failed', 'dead_lettered') and last_attempt_at >= ? group by all"
        )
    for row in snap.rows(failed_sql, [since]):
        per_day["failed"][row["day"]] = row["n"]
    for row in snap.rows(
        "select cast(failed_at as date) as day, count(*) as n from ops.dead_letters "
        "where failed_at >= ? group by all",
        [since],
    ):
        per_day["held"][row["day"]] = row["n"]
    return {"days": [d.isoformat() for d in days]} | {
        name: [per_day[name].get(d, 0) for d in days] for name in SERIES
    }


def inbox_depth(settings: Settings) -> dict[str, int] | None:
    if not settings.inbox_path.exists():
        return None
    with Inbox.from_settings(settings) as inbox:
        return {"received": inbox.last_id(), "pending": inbox.pending_count()}


def next_run(settings: Settings) -> datetime | None:
    try:
        return croniter(settings.sync_cron, datetime.now(UTC)).get_next(datetime)
    except (ValueError, KeyError):
        return None


@router.get("/", response_class=HTMLResponse)
def health_page(request: Request) -> HTMLResponse:
    config = web.settings(request)
    with snapshot(config) as snap:
        syncs = sync_health(snap, config)
        series = daily(snap)
        context = {
            "snapshot": snap,
            "pairs": _by_direction(syncs),
            "lags": lags(snap, config),
            "series": series,
            "charts": {
                name: bars(
                    f"{name} per day, last {DAYS} days", series["days"], [(name, series[name])]
                )
                for name in SERIES
            },
            "states": RECORD.names,
            "open_letters": sum(s.open_letters for s in syncs),
        }
    return web.render(
        request,
        "health.html",
        inbox=inbox_depth(config),
        next_run=next_run(config),
        cron=config.sync_cron,
        **context,
    )


def _by_direction(syncs: list[SyncHealth]) -> dict[str, list[SyncHealth]]:
    pairs: dict[str, list[SyncHealth]] = {}
    for health in syncs:
        pairs.setdefault(health.direction, []).append(health)
    return pairs
