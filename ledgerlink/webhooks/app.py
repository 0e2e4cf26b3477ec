"""The receiver's HTTP app: verify, dedupe, append to the inbox, ack.

The request path does the signature check and one SQLite transaction, nothing else, so an ack
takes milliseconds; anything slow (confirming a FreshBooks verifier) runs in a background
thread. Replies: 200 for accepted and duplicate deliveries (a duplicate must stop the sender's
retries), 401 with a short reason for unsigned, forged or stale ones, which are never queued.
`/healthz` answers `{"status": "ok"}` and nothing else: it needs no credentials, so it tells a
stranger nothing about the inbox or what was refused (`ledgerlink webhooks status` does, locally).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ledgerlink.connectors.freshbooks.webhooks import SIGNATURE_HEADER
from ledgerlink.log import get_logger
from ledgerlink.settings import Settings
from ledgerlink.webhooks import freshbooks, shop
from ledgerlink.webhooks.handshake import CallbackConfirmer
from ledgerlink.webhooks.inbox import Inbox
from ledgerlink.webhooks.outcome import Counters, Outcome, rejected
from ledgerlink.webhooks.verifiers import CallbackVerifiers

log = get_logger(__name__)


async def read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: Settings) -> FastAPI:
    """The receiver for `settings` (its inbox is `settings.inbox_path`)."""
    inbox = Inbox.from_settings(settings)
    verifiers = CallbackVerifiers(settings.inbox_path)
    confirmer = CallbackConfirmer(settings, verifiers)
    fb = freshbooks.FreshBooksReceiver(settings, inbox, verifiers, confirmer)
    shop_receiver = shop.ShopReceiver(settings, inbox)
    counters = Counters()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        confirmer.resume()
        try:
            yield
        finally:
            log.debug("webhook receiver stopped", extra={"deliveries": counters.summary()})
            confirmer.close()
            inbox.close()
            verifiers.close()

    app = FastAPI(
        title="ledgerlink webhooks",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.inbox = inbox
    app.state.verifiers = verifiers
    app.state.counters = counters

    def reply(source: str, outcome: Outcome, request: Request) -> JSONResponse:
        counters.add(source, outcome)
        fields = {"source": source, "reason": outcome.reason, "topic": outcome.topic}
        fields = {key: value for key, value in fields.items() if value is not None}
        if outcome.result == "rejected":
            peer = request.client.host if request.client else None
            log.warning("webhook rejected", extra={**fields, "peer": peer})
        elif outcome.result == "duplicate":
            log.info("webhook duplicate dropped", extra=fields)
        elif outcome.result == "handshake":
            log.info("callback verification announced", extra=fields)
        else:
            log.debug(f"webhook {outcome.result}", extra=fields)
        return JSONResponse(outcome.body(), status_code=outcome.status)

    @app.post("/webhooks/freshbooks")
    async def freshbooks_webhook(request: Request) -> JSONResponse:
        raw = await read_body(request, freshbooks.MAX_BODY_BYTES)
        if raw is None:
            return reply("freshbooks", rejected("too_large", 413), request)
        signature = request.headers.get(SIGNATURE_HEADER)
        outcome = await run_in_threadpool(fb.handle, raw, signature)
        return reply("freshbooks", outcome, request)

    @app.post("/webhooks/shop")
    async def shop_webhook(request: Request) -> JSONResponse:
        body = await read_body(request, shop.MAX_BODY_BYTES)
        if body is None:
            return reply("shop", rejected("too_large", 413), request)
        outcome = await run_in_threadpool(shop_receiver.handle, request.headers, body)
        return reply("shop", outcome, request)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        # Unauthenticated: "alive", nothing more (no counts, no inbox size, no rejection reasons).
        return {"status": "ok"}

    return app
