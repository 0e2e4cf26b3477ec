"""HTTP routes of the FreshBooks API: identity, OAuth, accounting resources and callbacks."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sandbox.freshbooks import errors, listing, serializers
from sandbox.freshbooks.errors import EventsError, OAuthError
from sandbox.freshbooks.identity import me_payload
from sandbox.freshbooks.money import ZERO, money
from sandbox.freshbooks.resources import (
    BILL_PAYMENTS,
    BILL_VENDORS,
    BILLS,
    CATEGORIES,
    CLIENTS,
    CREDIT_NOTES,
    EXPENSES,
    INVOICES,
    ITEMS,
    PAYMENTS,
    RAW_TABLES,
    RESOURCES,
    TAXES,
    Resource,
)
from sandbox.freshbooks.store import Record
from sandbox.freshbooks.validation import parse_body
from sandbox.freshbooks.webhooks import body_of

if TYPE_CHECKING:
    from sandbox.freshbooks.emulator import FreshBooksEmulator

ACCOUNTING = "/accounting/account/{account_id}"
EVENTS = "/events/account/{account_id}/events/callbacks"


def reply(body: dict) -> JSONResponse:
    # A ready response: FastAPI skips its (slow) generic encoder for Response objects.
    return JSONResponse(body)


def _record_id(raw: str, resource: Resource) -> int:
    if not raw.isdigit() or len(raw) > 18:  # beyond any SQLite id: simply not found
        raise errors.not_found(resource.name, resource.id_field, raw)
    return int(raw)


class Renderer:
    """Records -> JSON for one request, fetching what the includes need in bulk."""

    def __init__(self, emulator: FreshBooksEmulator, include: frozenset[str]) -> None:
        self.store = emulator.store
        self.account_id = emulator.account.account_id
        self.include = include

    def many(self, resource: Resource, records: list[Record]) -> list[dict[str, Any]]:
        a = self.account_id
        if resource is INVOICES:
            lines = self.store.lines_for(r.id for r in records) if "lines" in self.include else {}
            show = "presentation" in self.include
            return [
                serializers.invoice(r, a, lines.get(r.id), with_presentation=show) for r in records
            ]
        if resource is CLIENTS:
            rendered = [serializers.client(r, a) for r in records]
            if "outstanding_balance" in self.include:
                for client in rendered:
                    client["outstanding_balance"] = self._outstanding(client["id"])
            return rendered
        if resource is CREDIT_NOTES:
            lines = "lines" in self.include
            return [serializers.credit_note(r, a, with_lines=lines) for r in records]
        if resource is BILLS:
            return self._bills(records)
        render: Callable[[Record, str], dict[str, Any]] = {
            BILL_VENDORS.name: serializers.bill_vendor,
            BILL_PAYMENTS.name: serializers.bill_payment,
            PAYMENTS.name: serializers.payment,
            EXPENSES.name: serializers.expense,
            ITEMS.name: serializers.item,
            TAXES.name: serializers.tax,
            CATEGORIES.name: serializers.category,
        }[resource.name]
        return [render(r, a) for r in records]

    def _bills(self, records: list[Record]) -> list[dict[str, Any]]:
        """Bills with their vendor and live payments, each fetched once for the page."""
        a = self.account_id
        vendors = {
            v.id: serializers.bill_vendor(v, a)
            for v in self.store.by_ids(BILL_VENDORS, {r.data["vendorid"] for r in records})
        }
        payments: dict[int, list[dict[str, Any]]] = {r.id: [] for r in records}
        for payment in self.store.by_column(BILL_PAYMENTS, "billid", list(payments)):
            if payment.vis_state != 1:
                payments[payment.data["billid"]].append(serializers.bill_payment(payment, a))
        return [
            serializers.bill(r, a, vendors.get(r.data["vendorid"]), payments[r.id]) for r in records
        ]

    def one(self, resource: Resource, record: Record) -> dict[str, Any]:
        return {"response": {"result": {resource.name: self.many(resource, [record])[0]}}}

    def _outstanding(self, client_id: int) -> list[dict[str, Any]]:
        rows = self.store.db.all(
            "select data from invoices where customerid = ? and vis_state != 1", (client_id,)
        )
        totals: dict[str, Decimal] = {}
        for row in rows:
            outstanding = json.loads(row["data"])["outstanding"]
            code = outstanding["code"]
            totals[code] = totals.get(code, ZERO) + Decimal(outstanding["amount"])
        return [{"amount": money(total, code)} for code, total in sorted(totals.items())]


def accounting_router(emulator: FreshBooksEmulator) -> APIRouter:
    router = APIRouter()
    store, accounting = emulator.store, emulator.accounting
    unsupported = emulator.ctx.options.unsupported_in("freshbooks")

    def guard(request: Request, account_id: str) -> None:
        if not emulator.oauth.valid(request.headers.get("authorization")):
            raise errors.unauthorized()
        if account_id != emulator.account.account_id:
            raise errors.AccountingError(
                403,
                errors.FieldError(
                    errors.ERRNO_UNAUTHORIZED,
                    "You do not have access to this account.",
                    "accountid",
                    "account",
                    account_id,
                ),
            )

    def register(resource: Resource) -> None:
        base = f"{ACCOUNTING}/{resource.path}"
        refused = unsupported.get(RAW_TABLES[resource.name])
        if refused is not None:
            _refuse(router, base, resource, refused, guard)
            return

        @router.get(base, name=f"list {resource.plural}")
        def list_records(account_id: str, request: Request) -> JSONResponse:
            guard(request, account_id)
            query = listing.parse(
                resource, request.query_params, has_vis_state=resource is not TAXES
            )
            records, total = store.page(
                resource, query.where, query.params, query.order, query.per_page, query.offset
            )
            items = Renderer(emulator, query.include).many(resource, records)
            return reply({"response": {"result": {resource.plural: items, **query.meta(total)}}})

        @router.get(f"{base}/{{record_id}}", name=f"get {resource.name}")
        def get_record(account_id: str, record_id: str, request: Request) -> JSONResponse:
            guard(request, account_id)
            record = store.get(resource, _record_id(record_id, resource))
            if record is None:
                raise errors.not_found(resource.name, resource.id_field, record_id)
            include = frozenset(request.query_params.getlist("include[]"))
            return reply(Renderer(emulator, include).one(resource, record))

        if not resource.writable:
            return

        def include_of(request: Request) -> frozenset[str]:
            return frozenset(request.query_params.getlist("include[]"))

        def create(account_id: str, request: Request, raw: bytes) -> JSONResponse:
            guard(request, account_id)
            record = accounting.create(resource, parse_body(raw, resource.name))
            return reply(Renderer(emulator, include_of(request)).one(resource, record))

        def update(account_id: str, record_id: str, request: Request, raw: bytes) -> JSONResponse:
            guard(request, account_id)
            number = _record_id(record_id, resource)
            record = accounting.update(resource, number, parse_body(raw, resource.name))
            return reply(Renderer(emulator, include_of(request)).one(resource, record))

        # Async only to read the body; the work runs on the thread pool like the GET routes.
        @router.post(base, name=f"create {resource.name}")
        async def create_record(account_id: str, request: Request) -> JSONResponse:
            raw = await request.body()
            return await run_in_threadpool(create, account_id, request, raw)

        @router.put(f"{base}/{{record_id}}", name=f"update {resource.name}")
        async def update_record(account_id: str, record_id: str, request: Request) -> JSONResponse:
            raw = await request.body()
            return await run_in_threadpool(update, account_id, record_id, request, raw)

        if resource.http_delete:

            @router.delete(f"{base}/{{record_id}}", name=f"delete {resource.name}")
            def delete_record(account_id: str, record_id: str, request: Request) -> JSONResponse:
                guard(request, account_id)
                record = accounting.delete(resource, _record_id(record_id, resource))
                return reply(Renderer(emulator, include_of(request)).one(resource, record))

    for resource in RESOURCES:
        register(resource)
    return router


def _refuse(
    router: APIRouter,
    base: str,
    resource: Resource,
    status: int,
    guard: Callable[[Request, str], None],
) -> None:
    """Every path of an entity this account cannot use answers `status` (404 or 403)."""

    @router.api_route(base, methods=["GET", "POST"], name=f"unsupported {resource.plural}")
    @router.api_route(
        f"{base}/{{record_id}}",
        methods=["GET", "PUT", "DELETE"],
        name=f"unsupported {resource.name}",
    )
    def refuse(account_id: str, request: Request) -> JSONResponse:
        guard(request, account_id)
        raise errors.unsupported(resource.name, status)


def events_router(emulator: FreshBooksEmulator) -> APIRouter:
    router = APIRouter()
    webhooks = emulator.webhooks

    def guard(request: Request, account_id: str) -> None:
        if not emulator.oauth.valid(request.headers.get("authorization")):
            raise errors.events_unauthorized()
        if account_id != emulator.account.account_id:
            raise errors.events_not_found()

    def callback_id(raw: str) -> int:
        if not raw.isdigit() or len(raw) > 18:
            raise errors.events_not_found()
        return int(raw)

    def single(callback: dict) -> JSONResponse:
        return reply({"response": {"result": {"callback": callback}}})

    @router.get(EVENTS)
    def list_callbacks(account_id: str, request: Request) -> JSONResponse:
        guard(request, account_id)
        query = request.query_params
        try:
            page, per_page = listing.paging(query)
        except errors.AccountingError as error:
            raise EventsError(400, 400, error.errors[0].message) from None
        items, total = webhooks.page(
            query.get("search[event]"), query.get("search[uri]"), per_page, (page - 1) * per_page
        )
        meta = listing.ListQuery(page=page, per_page=per_page).meta(total)
        return reply({"response": {"result": {"callbacks": items, **meta}}})

    def create(account_id: str, request: Request, raw: bytes) -> JSONResponse:
        guard(request, account_id)
        return single(webhooks.create(body_of(raw)))

    def update(account_id: str, raw_id: str, request: Request, raw: bytes) -> JSONResponse:
        guard(request, account_id)
        number = callback_id(raw_id)
        return single(webhooks.update(number, body_of(raw)))

    @router.post(EVENTS)
    async def create_callback(account_id: str, request: Request) -> JSONResponse:
        raw = await request.body()
        return await run_in_threadpool(create, account_id, request, raw)

    @router.get(f"{EVENTS}/{{raw_id}}")
    def get_callback(account_id: str, raw_id: str, request: Request) -> JSONResponse:
        guard(request, account_id)
        return single(webhooks.get(callback_id(raw_id)))

    @router.put(f"{EVENTS}/{{raw_id}}")
    async def update_callback(account_id: str, raw_id: str, request: Request) -> JSONResponse:
        raw = await request.body()
        return await run_in_threadpool(update, account_id, raw_id, request, raw)

    @router.delete(f"{EVENTS}/{{raw_id}}", status_code=204)
    def delete_callback(account_id: str, raw_id: str, request: Request) -> Response:
        guard(request, account_id)
        webhooks.delete(callback_id(raw_id))
        return Response(status_code=204)

    return router


def auth_router(emulator: FreshBooksEmulator) -> APIRouter:
    router = APIRouter()
    oauth = emulator.oauth

    @router.get("/oauth/authorize")
    def authorize(request: Request) -> Response:
        # A sandbox: every request is approved at once, no login page.
        target = oauth.authorize(dict(request.query_params))
        return RedirectResponse(target, status_code=302)

    @router.post("/auth/oauth/token")
    async def token(request: Request) -> JSONResponse:
        form = await _token_form(request)
        issued = await run_in_threadpool(oauth.token, form, _basic_auth(request))
        return JSONResponse(issued, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @router.get("/auth/api/v1/users/me")
    def me(request: Request) -> JSONResponse:
        if not oauth.valid(request.headers.get("authorization")):
            raise errors.identity_unauthenticated()
        return reply({"response": me_payload(emulator.account)})

    return router


async def _token_form(request: Request) -> dict[str, str]:
    """Form-encoded (Python SDK), JSON (Node SDK) or multipart (the docs' curl) bodies."""
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type:
        try:
            document = json.loads(await request.body() or b"{}")
        except ValueError:
            raise OAuthError(
                400, "invalid_request", "The request body is not valid JSON."
            ) from None
        if not isinstance(document, dict):
            raise OAuthError(400, "invalid_request", "The request body must be an object.")
        return {k: str(v) for k, v in document.items() if v is not None}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _basic_auth(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret
