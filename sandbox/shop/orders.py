"""Placing and changing orders through the sandbox controls, with the webhooks Shopify sends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from sandbox.shop.derive import ID_STEP
from sandbox.shop.documents import (
    ZERO,
    Address,
    Buyer,
    CatalogItem,
    OrderSpec,
    build_order,
    fulfilled_lines,
    money,
    money_set,
)
from sandbox.shop.errors import Unprocessable
from sandbox.shop.store import ShopStore
from sandbox.shop.timestamps import shop_time
from sandbox.shop.webhooks import Dispatcher

PAID_LIKE = ("paid", "partially_paid", "partially_refunded")


class NewLine(BaseModel):
    sku: str
    quantity: int = Field(default=1, ge=1)


class NewAddress(BaseModel):
    address1: str = "1 Market St"
    city: str = "Austin"
    province_code: str = "TX"
    country_code: str = "US"
    zip: str = "78701"
    company: str | None = None
    phone: str | None = None


class NewOrder(BaseModel):
    """Body of `POST /_sandbox/shop/orders`; every field has a sensible default."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    line_items: list[NewLine] = []
    gateway: str = "shopify_payments"
    financial_status: Literal["paid", "pending", "authorized", "partially_paid"] | None = None
    shipping_address: NewAddress | None = None
    discount_code: str | None = None  # any code takes 10.00 off, like the seeded SAVE10
    note: str | None = None
    tags: str = ""


class OrderChange(BaseModel):
    """Body of `POST /_sandbox/shop/orders/{id}/update`."""

    financial_status: (
        Literal["paid", "pending", "authorized", "partially_paid", "refunded", "voided"] | None
    ) = None
    fulfillment_status: Literal["fulfilled", "partial"] | None = None
    cancel: bool = False
    cancel_reason: Literal["customer", "fraud", "inventory", "declined", "other"] = "other"
    close: bool = False
    note: str | None = None
    tags: str | None = None


def buyer_from_document(doc: dict[str, Any]) -> Buyer:
    address = doc.get("default_address") or {}
    return Buyer(
        id=doc["id"],
        email=doc["email"],
        first_name=doc.get("first_name") or "",
        last_name=doc.get("last_name") or "",
        phone=doc.get("phone"),
        address=Address(
            address.get("first_name") or doc.get("first_name") or "",
            address.get("last_name") or doc.get("last_name") or "",
            address.get("company"),
            address.get("address1") or "",
            address.get("city") or "",
            address.get("province_code") or "",
            address.get("country_code") or "US",
            address.get("zip") or "",
            address.get("phone"),
        ),
        created_at=datetime.fromisoformat(doc["created_at"]),
        tags=doc.get("tags", ""),
        accepts_marketing=(doc.get("email_marketing_consent") or {}).get("state") == "subscribed",
        orders_count=doc.get("orders_count", 0),
        total_spent=Decimal(doc.get("total_spent", "0.00")),
        last_order_id=doc.get("last_order_id"),
        last_order_name=doc.get("last_order_name"),
        updated_at=datetime.fromisoformat(doc["updated_at"]),
    )


def catalog_item_from_document(doc: dict[str, Any]) -> CatalogItem:
    variant = doc["variants"][0]
    return CatalogItem(
        product_id=doc["id"],
        variant_id=variant["id"],
        sku=variant["sku"],
        title=doc["title"],
        price=Decimal(variant["price"]),
        taxable=variant["taxable"],
        requires_shipping=variant["requires_shipping"],
        grams=variant["grams"],
        product_type=doc["product_type"],
        description=doc["title"],
        created_at=datetime.fromisoformat(doc["created_at"]),
        updated_at=datetime.fromisoformat(doc["updated_at"]),
        status=doc["status"],
    )


@dataclass
class OrderDesk:
    """What the controls do to orders; every change is stored, then announced to subscribers."""

    store: ShopStore
    dispatcher: Dispatcher
    now: Callable[[], datetime]
    # New ids come from the current maximum: one change at a time keeps them unique.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def place(self, request: NewOrder) -> dict[str, Any]:
        with self._lock:
            return self._place(request)

    def change(self, order_id: int, request: OrderChange) -> dict[str, Any] | None:
        """The changed order, or None when there is no such order."""
        with self._lock:
            order = self.store.get("orders", order_id)
            return None if order is None else self._change(order, request)

    def _place(self, request: NewOrder) -> dict[str, Any]:
        now = self.now().replace(microsecond=0)
        lines = self._lines(request)
        buyer, created_buyer = self._buyer(request, now)
        address = (
            Address(
                buyer.first_name,
                buyer.last_name,
                request.shipping_address.company,
                request.shipping_address.address1,
                request.shipping_address.city,
                request.shipping_address.province_code,
                request.shipping_address.country_code,
                request.shipping_address.zip,
                request.shipping_address.phone,
            )
            if request.shipping_address
            else buyer.address
        )
        financial = request.financial_status or (
            "pending" if request.gateway == "manual" else "paid"
        )
        spec = OrderSpec(
            id=self.store.next_id("orders", ID_STEP),
            number=self.store.next_order_number(),
            created_at=now,
            email=buyer.email,
            buyer=buyer,
            shipping_address=address,
            lines=lines,
            gateway=request.gateway,
            financial_status=financial,
            discount_code=(request.discount_code, Decimal("10.00"))
            if request.discount_code
            else None,
            paid_at=now if financial in PAID_LIKE else None,
            updated_at=now,
            note=request.note,
            tags=request.tags,
        )
        order = build_order(spec)
        self.store.insert("orders", [order])
        customer = self._refresh_customer(buyer, now)
        if created_buyer:
            self.dispatcher.publish("customers/create", customer)
        self.dispatcher.publish("orders/create", order)
        if financial == "paid":
            self.dispatcher.publish("orders/paid", order)
        return order

    def _change(self, order: dict[str, Any], request: OrderChange) -> dict[str, Any]:
        now = self.now().replace(microsecond=0)
        topics = ["orders/updated"]
        was = order["financial_status"], order["fulfillment_status"]
        if request.cancel and not order.get("cancelled_at"):
            _cancel(order, request.cancel_reason, now)
            topics.append("orders/cancelled")
        if request.financial_status and request.financial_status != order["financial_status"]:
            _set_financial_status(order, request.financial_status, now)
        if request.fulfillment_status and request.fulfillment_status != order["fulfillment_status"]:
            _fulfil(order, request.fulfillment_status, now)
        if request.close and not order.get("closed_at"):
            order["closed_at"] = shop_time(now)
        if request.note is not None:
            order["note"] = request.note
        if request.tags is not None:
            order["tags"] = request.tags
        order["updated_at"] = shop_time(now)
        if order["financial_status"] == "paid" and was[0] != "paid":
            topics.append("orders/paid")
        if order["fulfillment_status"] == "fulfilled" and was[1] != "fulfilled":
            topics.append("orders/fulfilled")
        self.store.insert("orders", [order], replace=True)
        customer = self.store.get("customers", (order.get("customer") or {}).get("id", 0))
        if customer is not None:
            self._refresh_customer(buyer_from_document(customer), now)
        for topic in topics:
            self.dispatcher.publish(topic, order)
        return order

    # --- helpers ---------------------------------------------------------------------------------
    def _lines(self, request: NewOrder) -> list[tuple[CatalogItem, int]]:
        wanted = request.line_items or [NewLine(sku=self._default_sku())]
        lines, problems = [], []
        for line in wanted:
            product = self.store.product_by_sku(line.sku)
            if product is None:
                problems.append(f"sku {line.sku} does not exist")
            elif product["status"] != "active":
                problems.append(f"sku {line.sku} is not available ({product['status']})")
            else:
                lines.append((catalog_item_from_document(product), line.quantity))
        if problems:
            raise Unprocessable({"line_items": problems})
        return lines

    def _default_sku(self) -> str:
        for doc in self.store.iter_docs("products"):
            variant = doc["variants"][0]
            if doc["status"] == "active" and variant["requires_shipping"]:
                return variant["sku"]
        raise Unprocessable({"line_items": ["the catalog has no product for sale"]})

    def _buyer(self, request: NewOrder, now: datetime) -> tuple[Buyer, bool]:
        if request.email is None:
            doc = self.store.first_customer("b2b") or next(self.store.iter_docs("customers"), None)
            if doc is not None:
                return buyer_from_document(doc), False
            request = request.model_copy(update={"email": "new.customer@example.com"})
        email = (request.email or "").strip()
        if "@" not in email:
            raise Unprocessable({"email": ["is invalid"]})
        doc = self.store.customer_by_email(email)
        if doc is not None:
            return buyer_from_document(doc), False
        local = email.split("@", 1)[0].replace("_", ".").split(".")
        first = request.first_name or local[0].title()
        last = request.last_name or (local[1].title() if len(local) > 1 else "Customer")
        where = request.shipping_address or NewAddress()
        buyer = Buyer(
            id=self.store.next_id("customers", ID_STEP),
            email=email,
            first_name=first,
            last_name=last,
            phone=where.phone,
            address=Address(
                first,
                last,
                where.company,
                where.address1,
                where.city,
                where.province_code,
                where.country_code,
                where.zip,
                where.phone,
            ),
            created_at=now,
            updated_at=now,
        )
        self.store.insert("customers", [buyer.document()])
        return buyer, True

    def _refresh_customer(self, buyer: Buyer, now: datetime) -> dict[str, Any]:
        """Recount the customer's orders and spend, as Shopify keeps them on the customer."""
        orders = self.store.orders_of(buyer.id)
        spent = sum(
            (
                Decimal(o["total_price"]) - Decimal(o["total_outstanding"])
                for o in orders
                if o["financial_status"] in PAID_LIKE
            ),
            ZERO,
        )
        if (len(orders), spent) != (buyer.orders_count, buyer.total_spent):
            buyer.updated_at = now
        buyer.orders_count, buyer.total_spent = len(orders), spent
        if orders:
            buyer.last_order_id, buyer.last_order_name = orders[-1]["id"], orders[-1]["name"]
        doc = buyer.document()
        self.store.insert("customers", [doc], replace=True)
        return doc


def _set_financial_status(order: dict[str, Any], status: str, now: datetime) -> None:
    total = Decimal(order["total_price"])
    order["financial_status"] = status
    outstanding = {
        "pending": total,
        "authorized": total,
        "partially_paid": total - (total / 2).quantize(Decimal("0.01")),
    }
    _set_money(order, "total_outstanding", outstanding.get(status, ZERO))
    if status in ("refunded", "voided"):
        for key in (
            "current_total_price",
            "current_subtotal_price",
            "current_total_tax",
            "current_total_discounts",
        ):
            _set_money(order, key, ZERO)
        for line in order["line_items"]:
            line["current_quantity"] = 0
    if status == "refunded":
        order["refunds"].append(
            {
                "id": order["id"] * 10 + 8,
                "created_at": shop_time(now),
                "note": None,
                "order_id": order["id"],
                "processed_at": shop_time(now),
                "restock": True,
                "transactions": [
                    {
                        "amount": money(total),
                        "kind": "refund",
                        "gateway": order["gateway"],
                        "status": "success",
                    }
                ],
                "refund_line_items": [],
                "order_adjustments": [],
            }
        )


def _cancel(order: dict[str, Any], reason: str, now: datetime) -> None:
    order["cancelled_at"] = shop_time(now)
    order["cancel_reason"] = reason
    order["closed_at"] = order.get("closed_at") or shop_time(now)
    paid = order["financial_status"] in PAID_LIKE
    _set_financial_status(order, "refunded" if paid else "voided", now)
    for line in order["line_items"]:
        line["fulfillable_quantity"] = 0


def _fulfil(order: dict[str, Any], status: str, now: datetime) -> None:
    order["fulfillment_status"] = status
    fulfilled = []
    for k, line in enumerate(order["line_items"]):
        if status == "fulfilled" or k == 0:
            line["fulfillment_status"] = "fulfilled"
            line["fulfillable_quantity"] = 0
            fulfilled.append(line)
    order["fulfillments"].append(
        {
            "id": order["id"] * 10 + 9 - len(order["fulfillments"]),
            "created_at": shop_time(now),
            "name": f"{order['name']}.{len(order['fulfillments']) + 1}",
            "order_id": order["id"],
            "service": "manual",
            "status": "success",
            "tracking_company": "UPS",
            "tracking_number": f"1Z{order['id'] % 10**12:012d}",
            "tracking_numbers": [f"1Z{order['id'] % 10**12:012d}"],
            "updated_at": shop_time(now),
            "line_items": fulfilled_lines(fulfilled),
        }
    )


def _set_money(order: dict[str, Any], key: str, value: Decimal) -> None:
    order[key] = money(value)
    if f"{key}_set" in order:
        order[f"{key}_set"] = money_set(value)
