"""The review queue: the rows the pre-posting gate held, with why, and the reviewer's actions
(approve, and push now if asked; reject with a reason), through the review service."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ledgerlink.console import web
from ledgerlink.console.letters import _act, sync_names
from ledgerlink.console.reading import snapshot
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from reverse_etl import review, states
from reverse_etl.ledger import Ledger
from reverse_etl.operator_actions import ActionResult

router = APIRouter()


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, status: str = states.HELD_FOR_REVIEW) -> HTMLResponse:
    config = web.settings(request)
    names = sync_names(config)
    wanted = status if status in (*review.REVIEW_STATES, review.ALL) else states.HELD_FOR_REVIEW
    with snapshot(config) as snap:
        held: list[dict[str, Any]] = []
        if snap.has("ops", "review_holds"):
            ledger = Ledger(snap.con, read_only=True)
            held = ledger.held(None if wanted == review.ALL else wanted)
    for row in held:
        row["sync"] = names.get((row["target"], row["entity"]), row["entity"])
        row["payload"] = json.dumps(json.loads(row["payload"]), indent=2, default=str)
    return web.render(
        request,
        "review.html",
        snapshot=snap,
        held=held,
        status=wanted,
        statuses=(*review.REVIEW_STATES, review.ALL),
    )


@router.post("/review/decide")
async def decide(request: Request) -> Response:
    """Approve (and push now, if ticked) or reject, with a reason, the rows ticked."""

    def action(config: Settings, form: dict[str, Any], actor: str) -> ActionResult:
        keys = form.get("keys", [])
        if not keys:
            raise LedgerlinkError("tick the held rows to act on")
        if form.get("do") == "reject":
            return review.reject(config, keys, form.get("reason", ""), actor)
        note = form.get("reason", "").strip() or None
        return review.approve(config, keys, actor, note=note, push=form.get("do") == "push")

    return await _act(request, "/review", action)
