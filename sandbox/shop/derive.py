"""Derives the shop (catalog, customers, orders) from the shared deterministic World.

Company customers reuse the contacts of the World's companies, with the same e-mails as their
FreshBooks clients, so records can be matched across systems; consumers are people who exist
only in the shop. Orders are generated one by one from `(seed, index)` so large scales stream.
An entity the world's options leave empty has no rows: without customers every order is a
guest checkout, without products there is nothing to order.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sandbox.generator import CITIES, FIRST_NAMES, LAST_NAMES, STREETS, World
from sandbox.shop.documents import Address, Buyer, CatalogItem, OrderSpec

CUSTOMER_ID_BASE = 7_100_000_000_000
PRODUCT_ID_BASE = 8_200_000_000_000
VARIANT_ID_BASE = 45_300_000_000_000
ORDER_ID_BASE = 5_800_000_000_000
ID_STEP = 1_000  # room between neighbours, as real ids are sparse
FIRST_ORDER_NUMBER = 1001

# Gateways as Shopify names them; "manual" covers bank deposits and cash on delivery.
GATEWAYS = (
    "shopify_payments",
    "shopify_payments",
    "shopify_payments",
    "paypal",
    "stripe",
    "manual",
)
CONSUMER_DOMAINS = ("example.com", "example.net", "example.org")


def order_count(world: World) -> int:
    return max(40, round(150 * world.scale))


def consumer_count(world: World) -> int:
    return max(10, round(50 * world.scale**0.8))


def _rng(world: World, kind: str, index: int = 0) -> random.Random:
    return random.Random(f"{world.seed}:shop-{kind}:{index}")


def _whole_seconds(value: datetime) -> datetime:
    # World times are naive UTC; the API speaks in whole seconds.
    return value.replace(microsecond=0)


@dataclass
class BuyerPool:
    """Buyers of one kind in order of sign-up, so an order only picks people who existed then."""

    buyers: list[Buyer]
    signed_up: list[datetime] = field(init=False)

    def __post_init__(self) -> None:
        self.signed_up = [b.created_at for b in self.buyers]

    def pick(self, rng: random.Random, at: datetime) -> Buyer | None:
        known = bisect_right(self.signed_up, at)
        return self.buyers[rng.randrange(known)] if known else None


@dataclass
class ShopWorld:
    """The shop's projection of a World: catalog and customers in memory, orders streamed."""

    world: World
    catalog: list[CatalogItem]
    buyers: list[Buyer]

    @classmethod
    def derive(cls, world: World) -> ShopWorld:
        return cls(
            world,
            _unless_empty(world, "products", derive_catalog),
            _unless_empty(world, "customers", derive_buyers),
        )

    def orders(self) -> Iterator[OrderSpec]:
        """Every seeded order, oldest first (the caller updates each buyer's counters)."""
        if self.world.options.is_empty("shop.orders"):
            return
        companies = BuyerPool([b for b in self.buyers if "b2b" in b.tags])
        consumers = BuyerPool([b for b in self.buyers if "b2b" not in b.tags])
        for i in range(order_count(self.world)):
            yield derive_order(self.world, i, self.catalog, companies, consumers)


def _unless_empty(world: World, entity: str, derive: Callable[[World], list]) -> list:
    return [] if world.options.is_empty(f"shop.{entity}") else derive(world)


def derive_catalog(world: World) -> list[CatalogItem]:
    """One product with a single default variant per World product; the SKU is the link."""
    items = []
    for i, product in enumerate(world.products):
        rng = _rng(world, "product", i)
        created = _whole_seconds(
            world.anchor - timedelta(days=520 - i % 90, minutes=rng.randint(0, 900))
        )
        updated = created + timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 59))
        noun = product.name.split()[-1]
        items.append(
            CatalogItem(
                product_id=PRODUCT_ID_BASE + i * ID_STEP,
                variant_id=VARIANT_ID_BASE + i * ID_STEP,
                sku=product.sku,
                title=product.name,
                price=product.unit_price,
                taxable=product.taxable,
                requires_shipping=not product.is_service,
                grams=0 if product.is_service else rng.choice((120, 250, 400, 900, 1500, 3200)),
                product_type="Service" if product.is_service else noun,
                description=product.description,
                created_at=created,
                updated_at=min(updated, world.anchor),
                # A few discontinued products: still on old orders, no longer for sale.
                status="archived" if i % 11 == 10 else "active",
            )
        )
    return items


def derive_buyers(world: World) -> list[Buyer]:
    """Company contacts (two in three companies) and consumers, ids in order of sign-up."""
    people: list[tuple[datetime, dict]] = []
    seen: set[str] = set()
    for company in world.companies:
        email = company.email.lower()
        if company.index % 3 == 1 or email in seen:
            continue
        seen.add(email)
        people.append(
            (
                _whole_seconds(company.created_at + timedelta(days=3)),
                {
                    "email": company.email,
                    "first_name": company.first_name,
                    "last_name": company.last_name,
                    "phone": company.phone,
                    "address": Address(
                        company.first_name,
                        company.last_name,
                        company.organization,
                        company.street,
                        company.city,
                        company.region,
                        company.country,
                        company.postal_code,
                        company.phone,
                    ),
                    "tags": "b2b",
                    "accepts_marketing": company.index % 2 == 0,
                },
            )
        )
    for i in range(consumer_count(world)):
        rng = _rng(world, "consumer", i)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, region, country, postal_prefix = rng.choice(CITIES)
        postal = (
            f"{postal_prefix}{rng.randint(10, 99)}"
            if country == "US"
            else f"{postal_prefix} {rng.randint(1, 9)}B{rng.randint(1, 9)}"
        )
        people.append(
            (
                _whole_seconds(
                    world.anchor
                    - timedelta(days=rng.randint(30, 420), minutes=rng.randint(0, 1400))
                ),
                {
                    "email": f"{first.lower()}.{last.lower()}{i}@{rng.choice(CONSUMER_DOMAINS)}",
                    "first_name": first,
                    "last_name": last,
                    "phone": None
                    if rng.random() < 0.4
                    else f"+1-555-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                    "address": Address(
                        first,
                        last,
                        None,
                        f"{rng.randint(1, 999)} {rng.choice(STREETS)} Ave",
                        city,
                        region,
                        country,
                        postal,
                        None,
                    ),
                    "tags": "",
                    "accepts_marketing": rng.random() < 0.35,
                },
            )
        )
    people.sort(key=lambda p: (p[0], p[1]["email"]))
    return [
        Buyer(id=CUSTOMER_ID_BASE + k * ID_STEP, created_at=created, **fields)
        for k, (created, fields) in enumerate(people)
    ]


def derive_order(
    world: World, i: int, catalog: list[CatalogItem], companies: BuyerPool, consumers: BuyerPool
) -> OrderSpec:
    """Order `i`: spread over the year before the World's anchor, ids rising with time."""
    rng = _rng(world, "order", i)
    count = order_count(world)
    span = timedelta(days=365) / count
    created = _whole_seconds(
        world.anchor - timedelta(days=365) + span * i + span * (0.9 * rng.random())
    )
    age_days = (world.anchor - created).days

    roll = rng.random()
    buyer: Buyer | None = None  # guest checkout: an e-mail and an address, no customer record
    if roll >= 0.05:
        buyer = (companies if roll < 0.6 else consumers).pick(rng, created)
    if buyer is None:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, region, country, postal_prefix = rng.choice(CITIES[:5])
        email = f"{first.lower()}.{last.lower()}.guest{i}@example.com"
        address = Address(
            first,
            last,
            None,
            f"{rng.randint(1, 999)} {rng.choice(STREETS)} Rd",
            city,
            region,
            country,
            f"{postal_prefix}{rng.randint(10, 99)}",
            None,
        )
    else:
        email, address = buyer.email, buyer.address

    lines = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        item = catalog[rng.randrange(len(catalog))]
        if any(existing_item.sku == item.sku for existing_item, _ in lines):
            continue
        qty = (
            rng.choice((1, 1, 1, 2, 2, 3, 5, 10))
            if buyer and "b2b" in buyer.tags
            else rng.choice((1, 1, 2))
        )
        lines.append((item, qty))

    gateway = rng.choice(GATEWAYS)
    financial, fulfillment = "paid", None
    paid_at = fulfilled_at = closed_at = cancelled_at = None
    cancel_reason = None
    state = rng.random()
    if age_days < 3:
        financial = "pending" if gateway == "manual" else "paid"
    elif gateway == "manual" and state < 0.5:
        financial = "pending"
    elif state < 0.05:
        financial = "partially_paid"
    elif state < 0.1:
        financial = "refunded"
    if financial in ("paid", "partially_paid", "refunded"):
        paid_at = created + timedelta(minutes=rng.randint(0, 90) if gateway == "manual" else 0)
    if financial == "refunded":
        cancelled_at = created + timedelta(days=rng.randint(1, min(10, max(1, age_days))))
        cancel_reason = rng.choice(("customer", "inventory", "other"))
        closed_at = cancelled_at
    elif financial == "paid" and age_days > 4:
        fulfilled_at = created + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 8))
        fulfillment = "fulfilled" if len(lines) == 1 or rng.random() < 0.9 else "partial"
        if fulfillment == "fulfilled" and age_days > 12:
            closed_at = fulfilled_at + timedelta(days=rng.randint(1, 6))
    elif financial == "partially_paid" and len(lines) > 1 and rng.random() < 0.5:
        fulfilled_at = created + timedelta(days=2)
        fulfillment = "partial"
    moments = [m for m in (created, paid_at, fulfilled_at, closed_at, cancelled_at) if m]
    updated = min(max(moments) + timedelta(seconds=rng.randint(1, 300)), world.anchor)

    return OrderSpec(
        id=ORDER_ID_BASE + i * ID_STEP + rng.randint(0, ID_STEP - 1),
        number=FIRST_ORDER_NUMBER + i,
        created_at=created,
        email=email,
        buyer=buyer,
        shipping_address=address,
        lines=lines,
        gateway=gateway,
        financial_status=financial,
        fulfillment_status=fulfillment,
        discount_code=("SAVE10", Decimal("10.00")) if rng.random() < 0.12 else None,
        paid_at=paid_at,
        fulfilled_at=fulfilled_at,
        closed_at=closed_at,
        cancelled_at=cancelled_at,
        cancel_reason=cancel_reason,
        updated_at=max(updated, created),
        tags="wholesale" if buyer and "b2b" in buyer.tags else "",
    )
