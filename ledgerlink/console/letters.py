"""Dead letters grouped by cause, record search, one record's whole story, and the operator's
actions on them (replay, discard with a reason, edit a field and replay, assign, bulk replay)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ledgerlink.console import web
from ledgerlink.console.reading import Snapshot, snapshot
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from reverse_etl import operator_actions
from reverse_etl.error_catalogue import ErrorClass, ErrorFacts, Explanation, explain
from reverse_etl.operator_actions import ActionResult
from reverse_etl.runner import select_syncs
from reverse_etl.states import DEAD_LETTER, LETTER_OPEN

router = APIRouter()
SEARCH_LIMIT = 100
# The record in both systems, from the marts: per entity, (what it shows, mart, mart column,
# where the value comes from: a column of the sync row or letter payload, or `natural_key`).
RECORD_VIEWS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "customers": (
        ("FreshBooks client and its Infor customer", "marts.dim_customers", "customer_key",
         "client_key"),
    ),
    "clients": (
        ("Infor customer and its FreshBooks client", "marts.dim_customers",
         "infor_customer_number", "customer_number"),
    ),
    "customer_orders": (
        ("FreshBooks invoice", "marts.fct_invoices", "invoice_number", "natural_key"),
        ("Infor order", "marts.fct_sales_orders", "customer_po_number", "natural_key"),
    ),
    "cash_receipts": (
        ("FreshBooks payment", "marts.fct_payments", "payment_key", "payment_key"),
    ),
    "gl_journals": (
        ("FreshBooks expense", "marts.fct_expenses", "expense_key", "expense_key"),
    ),
    "invoices": (("FreshBooks invoice", "marts.fct_invoices", "invoice_number", "natural_key"),),
    "invoice_status": (
        ("FreshBooks invoice", "marts.fct_invoices", "invoice_number", "natural_key"),
        ("Infor order", "marts.fct_sales_orders", "order_number", "m3_order_number"),
    ),
}  # fmt: skip


@dataclass
class Cause:
    explanation: Explanation
    letters: list[dict[str, Any]] = field(default_factory=list)


def _latest_attempts(snap: Snapshot) -> dict[str, dict[str, Any]]:
    if not snap.has("ops", "sync_attempts"):
        return {}
    rows = snap.rows(
        "select * from ops.sync_attempts where error_kind is not null "
        "qualify row_number() over (partition by intent_key order by started_at desc) = 1"
    )
    return {row["intent_key"]: row for row in rows}


def explained(letter: dict[str, Any], attempt: dict[str, Any] | None) -> Explanation:
    """The catalogue's reading of a letter: from its last failed try where the ledger kept it,
    else from the letter's own code and reason."""
    return explain(
        ErrorFacts(
            target=letter["target"],
            kind=attempt["error_kind"] if attempt else None,
            code=letter.get("error_code"),
            field=attempt["error_field"] if attempt else None,
            message=letter.get("reason"),
        )
    )


def sync_names(settings: Settings) -> dict[tuple[str, str], str]:
    return {(s.target, s.entity): s.name for s in select_syncs(None, settings.systems)}


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters_page(
    request: Request,
    sync: str = "",
    error_class: str = "",
    status: str = LETTER_OPEN,
    older_than_days: str = "",
    assigned_to: str = "",
) -> HTMLResponse:
    config = web.settings(request)
    names = sync_names(config)
    with snapshot(config) as snap:
        letters = snap.rows("select * from ops.dead_letters order by failed_at, intent_key")
        attempts = _latest_attempts(snap)
        counts = {
            r["status"]: r["n"]
            for r in snap.rows("select status, count(*) as n from ops.dead_letters group by 1")
        }
    days = int(older_than_days) if older_than_days.isdigit() else None
    cutoff = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days) if days else None
    causes: dict[str, Cause] = {}
    for letter in letters:
        letter["sync"] = names.get((letter["target"], letter["entity"]), letter["entity"])
        why = explained(letter, attempts.get(letter["intent_key"]))
        if (
            (status and status != "all" and letter["status"] != status)
            or (sync and letter["sync"] != sync)
            or (error_class and why.error_class != error_class)
            or (cutoff and letter["failed_at"] > cutoff)
            or (assigned_to and (letter.get("assigned_to") or "") != assigned_to)
        ):
            continue
        causes.setdefault(why.cause, Cause(why)).letters.append(letter)
    return web.render(
        request,
        "dead_letters.html",
        snapshot=snap,
        causes=sorted(causes.values(), key=lambda c: -len(c.letters)),
        filters={
            "sync": sync,
            "error_class": error_class,
            "status": status,
            "older_than_days": older_than_days,
            "assigned_to": assigned_to,
        },
        syncs=sorted(set(names.values())),
        classes=[c.value for c in ErrorClass],
        statuses=DEAD_LETTER.names,
        counts=counts,
    )


@router.get("/records", response_class=HTMLResponse)
def search_page(request: Request, q: str = "") -> HTMLResponse:
    """Any record by natural key, FreshBooks id, Infor key or shop id (any part of it)."""
    found: list[dict[str, Any]] = []
    term = q.strip()
    snap = None
    if term:
        with snapshot(web.settings(request)) as snap:
            like = f"%{term.lower()}%"
            found = snap.rows(
                "with ids as ("
                "  select freshbooks_id as id, infor_key as other from ops.id_crosswalk "
                "  union all select infor_key, freshbooks_id from ops.id_crosswalk "
                "  union all select shop_id, coalesce(freshbooks_id, infor_key) "
                "  from ops.id_crosswalk) "
                "select intent_key, target, entity, natural_key, status, operation, target_id, "
                "planned_at, last_attempt_at, attempts from ops.sync_records r "
                "where lower(natural_key) like ? or lower(coalesce(target_id, '')) like ? "
                "or natural_key in (select other from ids where lower(id) like ?) "
                "or target_id in (select other from ids where lower(id) like ?) "
                "order by natural_key, planned_at desc nulls last limit ?",
                [like, like, like, like, SEARCH_LIMIT],
            )
    return web.render(
        request, "search.html", snapshot=snap, q=term, found=found, limit=SEARCH_LIMIT
    )


@router.get("/records/{key}", response_class=HTMLResponse)
def record_page(request: Request, key: str) -> HTMLResponse:
    config = web.settings(request)
    names = sync_names(config)
    with snapshot(config) as snap:
        intents = snap.rows("select * from ops.sync_records where intent_key = ?", [key])
        if not intents:
            raise HTTPException(404, f"no record with id {key[:12]} in the ledger")
        intent = intents[0]
        history = snap.rows(
            "select intent_key, status, operation, content_hash, planned_at, attempts "
            "from ops.sync_records where target = ? and entity = ? and natural_key = ? "
            "order by planned_at desc nulls last",
            [intent["target"], intent["entity"], intent["natural_key"]],
        )
        letters = snap.rows("select * from ops.dead_letters where intent_key = ?", [key])
        letter = letters[0] if letters else None
        attempts = _table(snap, "ops", "sync_attempts", "intent_key = ? order by started_at", key)
        actions = _table(snap, "ops", "operator_actions", "intent_key = ? order by acted_at", key)
        edits = _table(snap, "ops", "payload_edits", "intent_key = ? order by edited_at", key)
        sync = names.get((intent["target"], intent["entity"]))
        planned = _planned_row(snap, intent)
        raw = intent["payload"] or (letter["payload"] if letter else None)
        payload = json.loads(raw) if raw else {}
        source = {**payload, **(planned or {})}
        views = _record_views(snap, intent, source)
    for attempt in attempts:
        attempt["exchanges"] = json.loads(attempt.get("exchanges") or "[]")
    why = explained(letter, _last_failed(attempts)) if letter else None
    planned_payload = json.loads(letter["payload"]) if letter else {}
    editable = sorted(
        name
        for name, value in planned_payload.items()
        if not isinstance(value, (list, dict)) and not str(value).lstrip().startswith(("[", "{"))
    )
    return web.render(
        request,
        "record.html",
        snapshot=snap,
        intent=intent,
        sync=sync,
        history=history,
        letter=letter,
        why=why,
        attempts=attempts,
        actions=actions,
        edits=edits,
        planned=planned,
        payload=json.dumps(payload, indent=2, default=str),
        views=views,
        editable=editable,
    )


def _table(snap: Snapshot, schema: str, table: str, where: str, key: str) -> list[dict[str, Any]]:
    if not snap.has(schema, table):
        return []  # a snapshot from before the table existed
    return snap.rows(f"select * from {schema}.{table} where {where}", [key])


def _last_failed(attempts: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((a for a in reversed(attempts) if a.get("error_kind")), None)


def _planned_row(snap: Snapshot, intent: dict[str, Any]) -> dict[str, Any] | None:
    """The sync model's row for the record now (what the next push would send), if planned."""
    wanted = (intent["target"], intent["entity"])
    model = next((s.model for s in select_syncs(None) if (s.target, s.entity) == wanted), None)
    if model is None or not snap.has("sync", model):
        return None
    rows = snap.rows(
        f'select * from sync."{model}" where natural_key = ? limit 1', [intent["natural_key"]]
    )
    return rows[0] if rows else None


def _record_views(
    snap: Snapshot, intent: dict[str, Any], source: dict[str, Any]
) -> list[tuple[str, list[dict[str, Any]]]]:
    views = []
    for title, table, column, origin in RECORD_VIEWS.get(intent["entity"], ()):
        schema, name = table.split(".")
        value = intent["natural_key"] if origin == "natural_key" else source.get(origin)
        if value is None or column not in snap.columns(schema, name):
            continue
        found = snap.rows(f'select * from {table} where "{column}" = ? limit 5', [str(value)])
        views.append((title, found))
    return views


# --- actions -----------------------------------------------------------------------------------
async def _act(
    request: Request, back: str, action: Callable[[Settings, dict[str, Any], str], ActionResult]
) -> Response:
    person, form = await web.acting(request)
    try:
        result = await run_in_threadpool(action, web.settings(request), form, person.name)
    except LedgerlinkError as exc:
        return web.redirect(request, back, str(exc), problem=True)
    return web.redirect(request, back, result.message)


@router.post("/records/{key}/replay")
async def replay_one(request: Request, key: str) -> Response:
    return await _act(
        request,
        f"/records/{key}",
        lambda config, form, actor: operator_actions.replay(config, [key], actor),
    )


@router.post("/records/{key}/discard")
async def discard_one(request: Request, key: str) -> Response:
    return await _act(
        request,
        f"/records/{key}",
        lambda config, form, actor: operator_actions.discard(
            config, key, form.get("reason", ""), actor
        ),
    )


@router.post("/records/{key}/edit")
async def edit_one(request: Request, key: str) -> Response:
    return await _act(
        request,
        f"/records/{key}",
        lambda config, form, actor: operator_actions.edit_and_replay(
            config, key, form.get("field", ""), form.get("value", ""), actor
        ),
    )


@router.post("/records/{key}/assign")
async def assign_one(request: Request, key: str) -> Response:
    return await _act(
        request,
        f"/records/{key}",
        lambda config, form, actor: operator_actions.assign(
            config, [key], form.get("person", ""), actor
        ),
    )


@router.post("/dead-letters/bulk")
async def bulk(request: Request) -> Response:
    """Replay (after a fix, e.g. of a mapping) or assign the letters ticked in a cause."""

    def action(config: Settings, form: dict[str, Any], actor: str) -> ActionResult:
        keys = form.get("keys", [])
        if not keys:
            raise LedgerlinkError("tick the dead letters to act on")
        if form.get("do") == "assign":
            return operator_actions.assign(config, keys, form.get("person", ""), actor)
        return operator_actions.replay(config, keys, actor)

    return await _act(request, "/dead-letters", action)
