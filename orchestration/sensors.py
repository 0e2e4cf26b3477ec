"""Event-driven runs: the webhook inbox (FreshBooks, shop) and Infor M3 polling.

Both launch a run of only the affected raw tables and everything downstream of them (their
dbt models, checks and pushes), tagged so runs that write the warehouse queue one at a time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from ledgerlink.connectors.infor import InforClient
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings, load_settings
from ledgerlink.webhooks.inbox import Inbox, InboxEvent
from orchestration.assets.pools import WAREHOUSE_TAG
from pipelines.entities import PARENTS

SettingsFactory = Callable[[], Settings]
INBOX_BATCH = 500
# The inbox is a local SQLite file: polling it often is cheap and keeps webhook latency low.
INBOX_INTERVAL_SECONDS = 2
# Dagster's daemon starts a sensor tick at most every 5 s. A tick that finds the inbox empty
# keeps watching it for this long, so an event waits a fraction of a second for its run
# instead of up to 5 s. It stays below the daemon's 5 s loop, so ticks do not pile up.
INBOX_WAIT_SECONDS = 4.0
INBOX_POLL_SECONDS = 0.1

# Which raw table a webhook event changes: FreshBooks nouns (`invoice.update`), shop topics
# (`orders/create`).
FRESHBOOKS_TABLES = {
    "client": "clients",
    "invoice": "invoices",
    "payment": "payments",
    "expense": "expenses",
    "item": "items",
    "category": "expense_categories",
    "tax": "taxes",
    "credit_note": "credit_notes",
}
SHOP_TABLES = {"orders": "orders", "customers": "customers", "products": "products"}


def raw_table(event: InboxEvent) -> AssetKey | None:
    """The raw table an inbox event changes; None for events ledgerlink does not load."""
    if event.source == "freshbooks":
        table = FRESHBOOKS_TABLES.get(event.topic.split(".", 1)[0])
        return AssetKey(["raw_freshbooks", table]) if table else None
    if event.source == "shop":
        table = SHOP_TABLES.get(event.topic.split("/", 1)[0])
        return AssetKey(["raw_shop", table]) if table else None
    return None


def affected_assets(context: SensorEvaluationContext, tables: Iterable[AssetKey]) -> list[AssetKey]:
    """The tables and what lies between them and the pushes they feed: staging, the models the
    sync models read, the sync models, the pushes (with their checks). Marts and snapshots off
    that path wait for the scheduled full sync, which keeps event-driven runs short. Tables of
    entities or systems that are switched off have no assets and are left out."""
    graph = context.repository_def.asset_graph
    tables = [key for key in with_tables_read_from(tables) if graph.has(key)]
    if not tables:
        return []
    # Every sync model on the path, also those no push reads (lines, rejects): a relationship
    # test between two sync models must not meet one of them stale.
    selection = AssetSelection.assets(*tables).downstream() & (
        AssetSelection.groups("push").upstream() | AssetSelection.groups("sync")
    )
    return sorted(selection.resolve(context.repository_def.asset_graph), key=str)


def with_tables_read_from(tables: Iterable[AssetKey]) -> set[AssetKey]:
    """The tables, and those read from their rows (order lines and deliveries are read for the
    order heads a run loads): a run that loads heads loads what hangs off them too."""
    chosen = set(tables)
    for system, parents in PARENTS.items():
        for child in parents:
            parent = parents[child]
            while parent is not None:
                if AssetKey([f"raw_{system}", parent]) in chosen:
                    chosen.add(AssetKey([f"raw_{system}", child]))
                    break
                parent = parents.get(parent)
    return chosen


def inbox_sensor(
    settings_factory: SettingsFactory = load_settings, wait_seconds: float = INBOX_WAIT_SECONDS
) -> SensorDefinition:
    @sensor(
        name="webhook_inbox",
        minimum_interval_seconds=INBOX_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        target=AssetSelection.all(),
        description="Runs the assets that FreshBooks and shop webhook events changed.",
    )
    def _webhook_inbox(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        cursor = int(context.cursor or 0)
        with Inbox.from_settings(settings_factory()) as inbox:
            events = inbox.events_after(cursor, INBOX_BATCH)
            deadline = time.monotonic() + wait_seconds
            while not events and time.monotonic() < deadline:
                time.sleep(INBOX_POLL_SECONDS)
                events = inbox.events_after(cursor, INBOX_BATCH)
            if not events:
                return SkipReason("no new webhook events")
            last = events[-1].id
            tables = {key for key in map(raw_table, events) if key is not None}
            inbox.mark_drained(last)
        selection = affected_assets(context, tables)
        if not selection:
            return SensorResult(
                skip_reason=f"{len(events)} events, none for loaded tables", cursor=str(last)
            )
        request = RunRequest(
            run_key=f"inbox-{last}",
            asset_selection=selection,
            tags={
                WAREHOUSE_TAG: "write",
                "ledgerlink/trigger": "webhook",
                "ledgerlink/events": f"{events[0].id}-{last}",
            },
        )
        context.log.info(f"{len(events)} webhook events -> {sorted(map(str, tables))}")
        return SensorResult(run_requests=[request], cursor=str(last))

    return _webhook_inbox


# M3 lists that filter on the last-changed stamp (`LMTS`): one row answers "anything changed?".
CHANGE_LISTS = {"customers": ("CRS610MI", "LstByNumber"), "suppliers": ("CRS620MI", "LstSuppliers")}


def infor_changes_sensor(settings_factory: SettingsFactory = load_settings) -> SensorDefinition:
    settings = settings_factory()

    @sensor(
        name="infor_changes",
        minimum_interval_seconds=settings.infor_poll_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        target=AssetSelection.all(),
        description="Polls Infor M3 (no webhooks there) for customers or suppliers changed "
        "since the last poll (LMTS) and runs what they feed.",
    )
    def _infor_changes(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        previous = json.loads(context.cursor) if context.cursor else None
        try:
            with InforClient.from_settings(settings_factory()) as infor:
                now = str(infor.customers.server_time().lmts)  # before the lists: nothing slips
                if previous is None:
                    return SensorResult(
                        skip_reason="first poll: baseline set", cursor=json.dumps(now)
                    )
                changed = [
                    table
                    for table, (program, transaction) in CHANGE_LISTS.items()
                    if infor.m3.execute(program, transaction, {"LMTS": previous}, maxrecs=1).records
                ]
        except LedgerlinkError as exc:
            return SkipReason(f"Infor M3 not reachable: {exc}")
        selection = affected_assets(context, [AssetKey(["raw_infor", t]) for t in changed])
        if not selection:
            what = f"only {', '.join(changed)}, which is not loaded," if changed else "nothing"
            return SensorResult(
                skip_reason=f"{what} changed in M3 since {previous}", cursor=json.dumps(now)
            )
        request = RunRequest(
            run_key=f"infor-{now}",
            asset_selection=selection,
            tags={WAREHOUSE_TAG: "write", "ledgerlink/trigger": "infor_poll"},
        )
        context.log.info(f"M3 changed since {previous}: {changed}")
        return SensorResult(run_requests=[request], cursor=json.dumps(now))

    return _infor_changes
