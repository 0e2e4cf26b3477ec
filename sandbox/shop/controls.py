"""The shop's `/_sandbox/shop/...` controls: place and change orders, ground truth, deliveries."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.shop.errors import NotFound, ShopError, Unprocessable
from sandbox.shop.orders import NewOrder, OrderChange, OrderDesk
from sandbox.shop.routes import shop_json
from sandbox.shop.store import RESOURCES, ShopStore
from sandbox.shop.webhooks import Dispatcher


def add_controls(
    router: APIRouter, store: ShopStore, desk: OrderDesk, dispatcher: Dispatcher
) -> None:
    """Routes under the shared `/_sandbox` prefix (never faulted, no token needed)."""

    def answer(call: Any) -> Response:
        try:
            return call()
        except ShopError as exc:
            return shop_json({"errors": exc.errors}, exc.status)

    @router.post("/shop/orders", status_code=201)
    def place_order(body: NewOrder | None = None) -> Response:
        """Create an order (and its customer when the e-mail is new); sends `orders/create`."""
        return answer(lambda: shop_json({"order": desk.place(body or NewOrder())}, 201))

    @router.post("/shop/orders/{order_id}/update")
    def change_order(order_id: int, body: OrderChange) -> Response:
        """Change an order's state; sends `orders/updated` (and paid/cancelled/fulfilled)."""

        def change() -> Response:
            order = desk.change(order_id, body)
            if order is None:
                raise NotFound()
            return shop_json({"order": order})

        return answer(change)

    @router.get("/shop/counts")
    def counts() -> dict[str, Any]:
        """Ground truth: how many records the API should return, by resource and state."""
        return store.totals()

    @router.get("/shop/webhooks/deliveries")
    def deliveries() -> dict[str, Any]:
        """Every delivery attempt's outcome, oldest first."""
        return {"deliveries": dispatcher.deliveries()}

    @router.post("/shop/raw/{resource}", status_code=201)
    async def store_raw(resource: str, request: Request) -> Response:
        """Store a document verbatim, even a malformed one, to test how readers quarantine it."""
        try:
            doc = json.loads(await request.body())
        except ValueError:
            return shop_json({"errors": "Invalid JSON in request body"}, 400)

        def store_it() -> Response:
            if resource not in RESOURCES:
                raise NotFound()
            if not isinstance(doc, dict) or not isinstance(doc.get("id"), int):
                raise Unprocessable({"id": ["an integer id is required"]})
            store.insert_verbatim(resource, doc, now=desk.now())
            return shop_json({"stored": resource, "id": doc["id"]}, 201)

        return answer(store_it)
