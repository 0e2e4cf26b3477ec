"""The Admin REST API routes under `/admin/api/2024-07/`: orders, customers, products, webhooks."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.shop.errors import STATUS_MESSAGES, BadRequest, NotFound, ShopError, Unauthorized
from sandbox.shop.paging import link_header, parse_filters, parse_list_request, select_fields
from sandbox.shop.store import Cursor, ShopStore
from sandbox.shop.webhooks import Subscriptions

API_VERSION = "2024-07"
API_PREFIX = f"/admin/api/{API_VERSION}"
SINGULAR = {"orders": "order", "customers": "customer", "products": "product"}


def shop_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers=headers,
    )


def build_api(
    store: ShopStore,
    subscriptions: Subscriptions,
    access_token: Callable[[], str],
    now: Callable[[], datetime],
) -> FastAPI:
    app = FastAPI(
        title="Shop Admin REST API (sandbox)", docs_url=None, redoc_url=None, openapi_url=None
    )

    @app.exception_handler(ShopError)
    def shop_error(_request: Request, exc: ShopError) -> Response:
        return shop_json({"errors": exc.errors}, exc.status)

    @app.exception_handler(StarletteHTTPException)
    def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        return shop_json(
            {"errors": STATUS_MESSAGES.get(exc.status_code, exc.detail)}, exc.status_code
        )

    def authorized(request: Request) -> None:
        given = request.headers.get("X-Shopify-Access-Token", "")
        if not hmac.compare_digest(given.encode(), access_token().encode()):
            raise Unauthorized()

    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(authorized)])

    def list_resource(resource: str, request: Request) -> Response:
        listing = parse_list_request(resource, dict(request.query_params))
        docs, more = store.page(listing.query, listing.limit, listing.cursor)
        backwards = bool(listing.cursor and listing.cursor.backwards)
        prev_cursor = next_cursor = None
        if docs:
            first, last = json.loads(docs[0]), json.loads(docs[-1])
            if listing.cursor is not None and (not backwards or more):
                value = store.sort_value(listing.query, first)
                prev_cursor = Cursor(value, first["id"], backwards=True)
            if more or backwards:
                next_cursor = Cursor(store.sort_value(listing.query, last), last["id"])
        link = link_header(str(request.url.replace(query="")), listing, prev_cursor, next_cursor)
        if listing.fields:
            items = [
                json.dumps(
                    select_fields(json.loads(d), listing.fields), separators=(",", ":")
                ).encode()
                for d in docs
            ]
        else:
            items = docs  # stored JSON goes out as it is: no parse, no re-encode
        body = b'{"%s":[' % resource.encode() + b",".join(items) + b"]}"
        return Response(
            body,
            media_type="application/json; charset=utf-8",
            headers={"Link": link} if link else None,
        )

    def count_resource(resource: str, request: Request) -> Response:
        params = dict(request.query_params)
        if "page_info" in params:
            raise BadRequest({"page_info": "page_info is not supported on count."})
        return shop_json({"count": store.count(parse_filters(resource, params))})

    def get_resource(resource: str, object_id: int, request: Request) -> Response:
        doc = store.get(resource, object_id)
        if doc is None:
            raise NotFound()
        fields = [f for f in request.query_params.get("fields", "").split(",") if f]
        return shop_json({SINGULAR[resource]: select_fields(doc, fields or None)})

    for resource in ("orders", "customers", "products"):
        _add_resource_routes(api, resource, list_resource, count_resource, get_resource)

    @api.get("/customers/search.json")
    def search_customers(request: Request) -> Response:
        # Only the `email:` term is supported, which is what a natural-key lookup needs.
        query = request.query_params.get("query", "")
        term = query.split("email:", 1)[1].strip() if "email:" in query else ""
        doc = store.customer_by_email(term) if term else None
        return shop_json({"customers": [doc] if doc else []})

    @api.get("/webhooks.json")
    def list_webhooks(request: Request) -> Response:
        hooks = subscriptions.list(
            request.query_params.get("topic"), request.query_params.get("address")
        )
        return shop_json({"webhooks": hooks})

    @api.get("/webhooks/count.json")
    def count_webhooks(request: Request) -> Response:
        hooks = subscriptions.list(
            request.query_params.get("topic"), request.query_params.get("address")
        )
        return shop_json({"count": len(hooks)})

    @api.post("/webhooks.json")
    async def create_webhook(request: Request) -> Response:
        body = await _json_body(request)
        webhook = body.get("webhook") if isinstance(body, dict) else None
        if not isinstance(webhook, dict):
            raise BadRequest({"webhook": "Required parameter missing or invalid"})
        return shop_json({"webhook": subscriptions.create(webhook, now())}, 201)

    @api.get("/webhooks/{webhook_id:int}.json")
    def get_webhook(webhook_id: int) -> Response:
        doc = subscriptions.get(webhook_id)
        if doc is None:
            raise NotFound()
        return shop_json({"webhook": doc})

    @api.put("/webhooks/{webhook_id:int}.json")
    async def update_webhook(webhook_id: int, request: Request) -> Response:
        body = await _json_body(request)
        webhook = body.get("webhook") if isinstance(body, dict) else None
        if not isinstance(webhook, dict):
            raise BadRequest({"webhook": "Required parameter missing or invalid"})
        doc = subscriptions.update(webhook_id, webhook, now())
        if doc is None:
            raise NotFound()
        return shop_json({"webhook": doc})

    @api.delete("/webhooks/{webhook_id:int}.json")
    def delete_webhook(webhook_id: int) -> Response:
        if not subscriptions.delete(webhook_id):
            raise NotFound()
        return shop_json({})

    app.include_router(api)
    return app


def _add_resource_routes(
    api: APIRouter,
    resource: str,
    list_resource: Callable[[str, Request], Response],
    count_resource: Callable[[str, Request], Response],
    get_resource: Callable[[str, int, Request], Response],
) -> None:
    # `count.json` is declared before `{id}.json`; the int converter keeps them apart anyway.
    def listing(request: Request) -> Response:
        return list_resource(resource, request)

    def counting(request: Request) -> Response:
        return count_resource(resource, request)

    def one(object_id: int, request: Request) -> Response:
        return get_resource(resource, object_id, request)

    api.add_api_route(f"/{resource}.json", listing, methods=["GET"], name=f"list_{resource}")
    api.add_api_route(
        f"/{resource}/count.json", counting, methods=["GET"], name=f"count_{resource}"
    )
    api.add_api_route(
        f"/{resource}/{{object_id:int}}.json", one, methods=["GET"], name=f"get_{resource}"
    )


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise BadRequest("Invalid JSON in request body") from None
