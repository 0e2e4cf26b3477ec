"""Builds customer, product and order documents in the Admin REST API's exact shape.

Both the seeded world and the `/_sandbox/shop/orders` control go through these builders, so a
new order looks exactly like a seeded one. Money is computed in `Decimal` and written as strings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.shop.timestamps import shop_time

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CURRENCY = "USD"
SHOP_DOMAIN = "ledgerlink-sandbox.myshopify.com"
VENDOR = "Ledgerlink Supply Co."
SHIPPING_RATE = Decimal("9.95")
FREE_SHIPPING_FROM = Decimal("100.00")
COUNTRY_NAMES = {"US": "United States", "CA": "Canada"}
PROVINCE_NAMES = {
    "TX": "Texas", "OR": "Oregon", "CO": "Colorado", "MA": "Massachusetts", "IL": "Illinois",
    "WA": "Washington", "GA": "Georgia", "ON": "Ontario", "BC": "British Columbia",
    "NS": "Nova Scotia",
}  # fmt: skip
# (title, rate) charged on taxable lines, by the shipping country.
TAXES = {"US": ("State Tax", Decimal("0.0825")), "CA": ("HST", Decimal("0.13"))}


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def money_set(value: Decimal) -> dict[str, Any]:
    amount = {"amount": money(value), "currency_code": CURRENCY}
    return {"shop_money": amount, "presentment_money": dict(amount)}


def gid(kind: str, object_id: int) -> str:
    return f"gid://shopify/{kind}/{object_id}"


def token_for(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Address:
    first_name: str
    last_name: str
    company: str | None
    address1: str
    city: str
    province_code: str
    country_code: str
    zip: str
    phone: str | None

    def document(self) -> dict[str, Any]:
        return {
            "first_name": self.first_name,
            "address1": self.address1,
            "phone": self.phone,
            "city": self.city,
            "zip": self.zip,
            "province": PROVINCE_NAMES.get(self.province_code, self.province_code),
            "country": COUNTRY_NAMES.get(self.country_code, self.country_code),
            "last_name": self.last_name,
            "address2": None,
            "company": self.company,
            "latitude": None,
            "longitude": None,
            "name": f"{self.first_name} {self.last_name}",
            "country_code": self.country_code,
            "province_code": self.province_code,
        }


@dataclass
class Buyer:
    """A shop customer as the builders need it; `document()` is the `/customers` resource."""

    id: int
    email: str
    first_name: str
    last_name: str
    phone: str | None
    address: Address
    created_at: datetime
    tags: str = ""
    accepts_marketing: bool = False
    orders_count: int = 0
    total_spent: Decimal = ZERO
    last_order_id: int | None = None
    last_order_name: str | None = None
    updated_at: datetime | None = None

    def record_order(self, order: dict[str, Any], placed_at: datetime) -> None:
        self.orders_count += 1
        if order["financial_status"] in ("paid", "partially_paid", "partially_refunded"):
            self.total_spent += Decimal(order["total_price"]) - Decimal(order["total_outstanding"])
        self.last_order_id = order["id"]
        self.last_order_name = order["name"]
        self.updated_at = max(self.updated_at or self.created_at, placed_at)

    def address_document(self) -> dict[str, Any]:
        return {
            "id": self.id + 1,
            "customer_id": self.id,
            **self.address.document(),
            "country_name": COUNTRY_NAMES.get(self.address.country_code),
            "default": True,
        }

    def _core(self) -> dict[str, Any]:
        consent_at = shop_time(self.created_at) if self.accepts_marketing else None
        return {
            "id": self.id,
            "email": self.email,
            "created_at": shop_time(self.created_at),
            "updated_at": shop_time(self.updated_at or self.created_at),
            "first_name": self.first_name,
            "last_name": self.last_name,
            "state": "enabled",
            "note": None,
            "verified_email": True,
            "multipass_identifier": None,
            "tax_exempt": False,
            "phone": self.phone,
            "email_marketing_consent": {
                "state": "subscribed" if self.accepts_marketing else "not_subscribed",
                "opt_in_level": "single_opt_in",
                "consent_updated_at": consent_at,
            },
            "sms_marketing_consent": None,
            "tags": self.tags,
            "currency": CURRENCY,
            "tax_exemptions": [],
            "admin_graphql_api_id": gid("Customer", self.id),
        }

    def document(self) -> dict[str, Any]:
        core = self._core()
        address = self.address_document()
        return {
            **core,
            "orders_count": self.orders_count,
            "total_spent": money(self.total_spent),
            "last_order_id": self.last_order_id,
            "last_order_name": self.last_order_name,
            "addresses": [address],
            "default_address": address,
        }

    def order_document(self) -> dict[str, Any]:
        """The `customer` embedded in an order (no counters or address list, as in 2024-07)."""
        return {**self._core(), "default_address": self.address_document()}


@dataclass(frozen=True)
class CatalogItem:
    """One sellable variant: what an order line needs to know about the product."""

    product_id: int
    variant_id: int
    sku: str
    title: str
    price: Decimal
    taxable: bool
    requires_shipping: bool
    grams: int
    product_type: str
    description: str
    created_at: datetime
    updated_at: datetime
    status: str = "active"

    def product_document(self) -> dict[str, Any]:
        handle = f"{self.title.lower().replace(' ', '-')}-{self.sku.lower()}"
        variant = {
            "id": self.variant_id,
            "product_id": self.product_id,
            "title": "Default Title",
            "price": money(self.price),
            "position": 1,
            "inventory_policy": "deny",
            "compare_at_price": None,
            "option1": "Default Title",
            "option2": None,
            "option3": None,
            "created_at": shop_time(self.created_at),
            "updated_at": shop_time(self.updated_at),
            "taxable": self.taxable,
            "barcode": None,
            "fulfillment_service": "manual",
            "grams": self.grams,
            "inventory_management": "shopify" if self.requires_shipping else None,
            "requires_shipping": self.requires_shipping,
            "sku": self.sku,
            "weight": round(self.grams / 1000, 3),
            "weight_unit": "kg",
            "inventory_item_id": self.variant_id + 7_000_000_000_000,
            "inventory_quantity": 0 if self.status == "archived" else 25 + self.grams % 200,
            "old_inventory_quantity": 0 if self.status == "archived" else 25 + self.grams % 200,
            "admin_graphql_api_id": gid("ProductVariant", self.variant_id),
            "image_id": None,
        }
        return {
            "id": self.product_id,
            "title": self.title,
            "body_html": f"<p>{self.description}</p>",
            "vendor": VENDOR,
            "product_type": self.product_type,
            "created_at": shop_time(self.created_at),
            "handle": handle,
            "updated_at": shop_time(self.updated_at),
            "published_at": None if self.status != "active" else shop_time(self.created_at),
            "template_suffix": None,
            "published_scope": "global",
            "tags": self.product_type.lower(),
            "status": self.status,
            "admin_graphql_api_id": gid("Product", self.product_id),
            "variants": [variant],
            "options": [
                {
                    "id": self.product_id + 1,
                    "product_id": self.product_id,
                    "name": "Title",
                    "position": 1,
                    "values": ["Default Title"],
                }
            ],
            "images": [],
            "image": None,
        }


@dataclass
class OrderSpec:
    """Everything that decides an order; `build_order` turns it into the API document."""

    id: int
    number: int
    created_at: datetime
    email: str
    buyer: Buyer | None
    shipping_address: Address
    lines: list[tuple[CatalogItem, int]]
    gateway: str
    financial_status: str = "paid"
    fulfillment_status: str | None = None
    discount_code: tuple[str, Decimal] | None = None
    paid_at: datetime | None = None
    fulfilled_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    updated_at: datetime | None = None
    note: str | None = None
    tags: str = ""
    source_name: str = "web"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"#{self.number}"


def _tax_line(title: str, rate: Decimal, price: Decimal) -> dict[str, Any]:
    return {
        "price": money(price),
        "rate": float(rate),  # Shopify writes rates as JSON numbers (0.0825)
        "title": title,
        "price_set": money_set(price),
        "channel_liable": False,
    }


def build_order(spec: OrderSpec) -> dict[str, Any]:
    """The order document; totals are consistent to the cent (lines, discount, tax, shipping)."""
    tax_title, tax_rate = TAXES.get(spec.shipping_address.country_code, TAXES["US"])
    line_totals = [item.price * qty for item, qty in spec.lines]
    items_total = sum(line_totals, ZERO)
    discount = ZERO
    if spec.discount_code and line_totals and line_totals[0] >= spec.discount_code[1]:
        discount = spec.discount_code[1]

    line_items, taxes = [], ZERO
    for k, ((item, qty), line_total) in enumerate(zip(spec.lines, line_totals, strict=True)):
        allocated = discount if k == 0 else ZERO
        tax = (
            ((line_total - allocated) * tax_rate).quantize(CENT, rounding=ROUND_HALF_UP)
            if item.taxable
            else ZERO
        )
        taxes += tax
        line_items.append(_line_item(spec, k, item, qty, allocated, tax_title, tax_rate, tax))

    subtotal = items_total - discount
    ships = any(item.requires_shipping for item, _ in spec.lines)
    shipping = SHIPPING_RATE if ships and subtotal < FREE_SHIPPING_FROM else ZERO
    total = subtotal + taxes + shipping
    outstanding = {
        "pending": total,
        "authorized": total,
        "partially_paid": total - (total / 2).quantize(CENT),
    }.get(spec.financial_status, ZERO)
    refunded = spec.financial_status == "refunded"
    current_total = ZERO if refunded else total

    order = {
        "id": spec.id,
        "admin_graphql_api_id": gid("Order", spec.id),
        "app_id": 580111,
        "browser_ip": f"203.0.113.{spec.number % 250 + 1}",
        "buyer_accepts_marketing": bool(spec.buyer and spec.buyer.accepts_marketing),
        "cancel_reason": spec.cancel_reason,
        "cancelled_at": _time(spec.cancelled_at),
        "cart_token": token_for("cart", spec.id),
        "checkout_id": spec.id + 1_000_000_000_000,
        "checkout_token": token_for("checkout", spec.id),
        "client_details": None,
        "closed_at": _time(spec.closed_at),
        "confirmation_number": token_for("confirmation", spec.id)[:9].upper(),
        "confirmed": True,
        "contact_email": spec.email,
        "created_at": shop_time(spec.created_at),
        "currency": CURRENCY,
        "current_subtotal_price": money(ZERO if refunded else subtotal),
        "current_subtotal_price_set": money_set(ZERO if refunded else subtotal),
        "current_total_discounts": money(ZERO if refunded else discount),
        "current_total_discounts_set": money_set(ZERO if refunded else discount),
        "current_total_price": money(current_total),
        "current_total_price_set": money_set(current_total),
        "current_total_tax": money(ZERO if refunded else taxes),
        "current_total_tax_set": money_set(ZERO if refunded else taxes),
        "customer_locale": "en",
        "discount_codes": [],
        "email": spec.email,
        "estimated_taxes": False,
        "financial_status": spec.financial_status,
        "fulfillment_status": spec.fulfillment_status,
        "gateway": spec.gateway,
        "landing_site": "/",
        "landing_site_ref": None,
        "location_id": None,
        "name": spec.name,
        "note": spec.note,
        "note_attributes": [],
        "number": spec.number - 1000,
        "order_number": spec.number,
        "order_status_url": (
            f"https://{SHOP_DOMAIN}/orders/{token_for('order', spec.id)}/authenticate"
            f"?key={token_for('key', spec.id)}"
        ),
        "payment_gateway_names": [spec.gateway],
        "phone": None,
        "presentment_currency": CURRENCY,
        "processed_at": shop_time(spec.created_at),
        "reference": None,
        "referring_site": None,
        "source_identifier": None,
        "source_name": spec.source_name,
        "subtotal_price": money(subtotal),
        "subtotal_price_set": money_set(subtotal),
        "tags": spec.tags,
        "tax_lines": [_tax_line(tax_title, tax_rate, taxes)] if taxes else [],
        "taxes_included": False,
        "test": False,
        "token": token_for("order", spec.id),
        "total_discounts": money(discount),
        "total_discounts_set": money_set(discount),
        "total_line_items_price": money(items_total),
        "total_line_items_price_set": money_set(items_total),
        "total_outstanding": money(outstanding),
        "total_price": money(total),
        "total_price_set": money_set(total),
        "total_shipping_price_set": money_set(shipping),
        "total_tax": money(taxes),
        "total_tax_set": money_set(taxes),
        "total_tip_received": "0.00",
        "total_weight": sum(item.grams * qty for item, qty in spec.lines),
        "updated_at": shop_time(spec.updated_at or spec.created_at),
        "user_id": None,
        "billing_address": spec.shipping_address.document(),
        "discount_applications": [],
        "fulfillments": _fulfillments(spec, line_items),
        "line_items": line_items,
        "payment_terms": None,
        "refunds": _refunds(spec, total),
        "shipping_address": spec.shipping_address.document() if ships else None,
        "shipping_lines": _shipping_lines(spec, shipping) if ships else [],
        **spec.extra,
    }
    if discount:
        code, amount = spec.discount_code or ("", ZERO)
        order["discount_codes"] = [{"code": code, "amount": money(amount), "type": "fixed_amount"}]
        order["discount_applications"] = [
            {
                "target_type": "line_item",
                "type": "discount_code",
                "value": money(amount),
                "value_type": "fixed_amount",
                "allocation_method": "across",
                "target_selection": "all",
                "code": code,
            }
        ]
    if spec.buyer is not None:
        order["customer"] = spec.buyer.order_document()
    return order


def _time(value: datetime | None) -> str | None:
    return None if value is None else shop_time(value)


def _line_item(
    spec: OrderSpec,
    k: int,
    item: CatalogItem,
    qty: int,
    allocated: Decimal,
    tax_title: str,
    tax_rate: Decimal,
    tax: Decimal,
) -> dict[str, Any]:
    line_id = spec.id * 10 + k + 1
    fulfilled = spec.fulfillment_status == "fulfilled" or (
        spec.fulfillment_status == "partial" and k == 0
    )
    return {
        "id": line_id,
        "admin_graphql_api_id": gid("LineItem", line_id),
        "attributed_staffs": [],
        "current_quantity": 0 if spec.financial_status == "refunded" else qty,
        "fulfillable_quantity": 0 if fulfilled or spec.cancelled_at else qty,
        "fulfillment_service": "manual",
        "fulfillment_status": "fulfilled" if fulfilled else None,
        "gift_card": False,
        "grams": item.grams,
        "name": item.title,
        "price": money(item.price),
        "price_set": money_set(item.price),
        "product_exists": item.status != "deleted",
        "product_id": item.product_id,
        "properties": [],
        "quantity": qty,
        "requires_shipping": item.requires_shipping,
        "sku": item.sku,
        "taxable": item.taxable,
        "title": item.title,
        "total_discount": "0.00",
        "total_discount_set": money_set(ZERO),
        "variant_id": item.variant_id,
        "variant_inventory_management": "shopify" if item.requires_shipping else None,
        "variant_title": None,
        "vendor": VENDOR,
        "tax_lines": [_tax_line(tax_title, tax_rate, tax)] if item.taxable else [],
        "duties": [],
        "discount_allocations": [
            {
                "amount": money(allocated),
                "amount_set": money_set(allocated),
                "discount_application_index": 0,
            }
        ]
        if allocated
        else [],
    }


def _shipping_lines(spec: OrderSpec, shipping: Decimal) -> list[dict[str, Any]]:
    title = "Standard Shipping" if shipping else "Free Shipping"
    return [
        {
            "id": spec.id * 10,
            "carrier_identifier": None,
            "code": title,
            "discounted_price": money(shipping),
            "discounted_price_set": money_set(shipping),
            "is_removed": False,
            "phone": None,
            "price": money(shipping),
            "price_set": money_set(shipping),
            "requested_fulfillment_service_id": None,
            "source": "shopify",
            "title": title,
            "tax_lines": [],
            "discount_allocations": [],
        }
    ]


def _fulfillments(spec: OrderSpec, line_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if spec.fulfillment_status not in ("fulfilled", "partial") or spec.fulfilled_at is None:
        return []
    fulfillment_id = spec.id * 10 + 9
    return [
        {
            "id": fulfillment_id,
            "admin_graphql_api_id": gid("Fulfillment", fulfillment_id),
            "created_at": shop_time(spec.fulfilled_at),
            "location_id": 65_000_000_001,
            "name": f"{spec.name}.1",
            "order_id": spec.id,
            "service": "manual",
            "shipment_status": None,
            "status": "success",
            "tracking_company": "UPS",
            "tracking_number": f"1Z{spec.id % 10**12:012d}",
            "tracking_numbers": [f"1Z{spec.id % 10**12:012d}"],
            "updated_at": shop_time(spec.fulfilled_at),
            "line_items": fulfilled_lines(line_items),
        }
    ]


def fulfilled_lines(line_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A fulfillment's lines, abbreviated to what identifies them (Shopify repeats every field;
    at large scales that would double the store for data no reader here uses)."""
    keys = ("id", "variant_id", "product_id", "sku", "title", "quantity", "fulfillment_status")
    return [
        {k: line[k] for k in keys}
        for line in line_items
        if line["fulfillment_status"] == "fulfilled"
    ]


def _refunds(spec: OrderSpec, total: Decimal) -> list[dict[str, Any]]:
    if spec.financial_status != "refunded":
        return []
    refunded_at = spec.cancelled_at or spec.updated_at or spec.created_at
    refund_id = spec.id * 10 + 8
    return [
        {
            "id": refund_id,
            "admin_graphql_api_id": gid("Refund", refund_id),
            "created_at": shop_time(refunded_at),
            "note": spec.cancel_reason,
            "order_id": spec.id,
            "processed_at": shop_time(refunded_at),
            "restock": True,
            "total_duties_set": money_set(ZERO),
            "user_id": None,
            "order_adjustments": [],
            "transactions": [
                {
                    "id": refund_id + 1,
                    "amount": money(total),
                    "currency": CURRENCY,
                    "gateway": spec.gateway,
                    "kind": "refund",
                    "order_id": spec.id,
                    "status": "success",
                    "created_at": shop_time(refunded_at),
                }
            ],
            "refund_line_items": [],
            "duties": [],
        }
    ]
