"""Pydantic models of the shop's orders, customers and products: Decimal money, UTC timestamps.

Only the fields ledgerlink uses are declared and typed; every other field the API sends is kept
as an extra, so `model_dump()` still carries the whole record. A record that breaks a declared
type or an invariant (line items that do not add up) fails validation and is quarantined by the
client with the reason, never silently dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

FinancialStatus = Literal[
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "expired",
]
FulfillmentStatus = Literal["fulfilled", "partial", "restocked"]
ProductStatus = Literal["active", "archived", "draft"]


def _to_decimal(value: Any) -> Any:
    # The client parses JSON numbers as Decimal; a float here would already have lost cents.
    if isinstance(value, float):
        raise ValueError("money must arrive as a string or Decimal, not a binary float")
    if isinstance(value, str):
        value = value.strip()
    return value


def _rate_to_decimal(value: Any) -> Any:
    # Shopify writes tax rates as JSON numbers (0.0825); a rate is not money, its repr is exact.
    return Decimal(repr(value)) if isinstance(value, float) else value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("money must be a finite amount")
    return value


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Money = Annotated[Decimal, BeforeValidator(_to_decimal), AfterValidator(_finite)]
Rate = Annotated[Decimal, BeforeValidator(_rate_to_decimal), AfterValidator(_finite)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class ShopModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Address(ShopModel):
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    country: str | None = None
    country_code: str | None = None
    zip: str | None = None
    phone: str | None = None


class TaxLine(ShopModel):
    title: str
    rate: Rate
    price: Money


class DiscountAllocation(ShopModel):
    amount: Money


class DiscountCode(ShopModel):
    code: str
    amount: Money
    type: str


class LineItem(ShopModel):
    id: int
    product_id: int | None = None
    variant_id: int | None = None
    sku: str | None = None  # custom items and some apps' lines have no SKU
    title: str
    name: str | None = None
    variant_title: str | None = None
    vendor: str | None = None
    quantity: int = Field(ge=0)
    price: Money
    taxable: bool = True
    requires_shipping: bool = True
    fulfillment_status: str | None = None
    tax_lines: list[TaxLine] = []
    discount_allocations: list[DiscountAllocation] = []

    @property
    def subtotal(self) -> Decimal:
        """Price times quantity, before discounts and taxes."""
        return self.price * self.quantity

    @property
    def discount(self) -> Decimal:
        return sum((d.amount for d in self.discount_allocations), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return sum((t.price for t in self.tax_lines), Decimal("0.00"))


class ShippingLine(ShopModel):
    id: int | None = None
    title: str
    code: str | None = None
    price: Money
    discounted_price: Money | None = None
    tax_lines: list[TaxLine] = []


class Customer(ShopModel):
    id: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    state: str | None = None
    tags: str = ""
    currency: str | None = None
    tax_exempt: bool = False
    verified_email: bool | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    default_address: Address | None = None
    # present on the customers resource, absent from the customer embedded in an order
    orders_count: int | None = None
    total_spent: Money | None = None
    last_order_id: int | None = None

    @property
    def email_key(self) -> str | None:
        """The e-mail as a matching key (trimmed, lower case)."""
        return self.email.strip().lower() if self.email else None

    @property
    def company(self) -> str | None:
        return self.default_address.company if self.default_address else None


class Order(ShopModel):
    id: int
    name: str
    order_number: int
    email: str | None = None
    contact_email: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    processed_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    cancelled_at: UtcDatetime | None = None
    cancel_reason: str | None = None
    currency: str
    financial_status: FinancialStatus | None = None
    fulfillment_status: FulfillmentStatus | None = None
    gateway: str | None = None  # deprecated by Shopify, still sent; see `payment_gateway`
    payment_gateway_names: list[str] = []
    taxes_included: bool = False
    test: bool = False
    tags: str = ""
    note: str | None = None
    total_line_items_price: Money
    total_discounts: Money = Decimal("0.00")
    subtotal_price: Money
    total_tax: Money = Decimal("0.00")
    total_price: Money
    total_outstanding: Money | None = None
    current_total_price: Money | None = None
    customer: Customer | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    line_items: list[LineItem] = Field(min_length=1)
    shipping_lines: list[ShippingLine] = []
    tax_lines: list[TaxLine] = []
    discount_codes: list[DiscountCode] = []
    refunds: list[dict[str, Any]] = []

    @model_validator(mode="after")
    def _line_items_add_up(self) -> Order:
        lines = sum((line.subtotal for line in self.line_items), Decimal("0.00"))
        if lines != self.total_line_items_price:
            raise ValueError(
                f"line items add up to {lines}, but total_line_items_price is "
                f"{self.total_line_items_price}"
            )
        return self

    @property
    def payment_gateway(self) -> str | None:
        return self.gateway or (
            self.payment_gateway_names[0] if self.payment_gateway_names else None
        )

    @property
    def shipping(self) -> Decimal:
        return sum(
            (
                (s.discounted_price if s.discounted_price is not None else s.price)
                for s in self.shipping_lines
            ),
            Decimal("0.00"),
        )

    @property
    def email_key(self) -> str | None:
        email = self.email or self.contact_email or (self.customer.email if self.customer else None)
        return email.strip().lower() if email else None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class Variant(ShopModel):
    id: int
    product_id: int | None = None
    title: str
    sku: str | None = None
    price: Money
    compare_at_price: Money | None = None
    taxable: bool = True
    requires_shipping: bool = True
    barcode: str | None = None
    grams: int | None = None
    inventory_quantity: int | None = None
    position: int | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class Product(ShopModel):
    id: int
    title: str
    handle: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    status: ProductStatus = "active"
    tags: str = ""
    created_at: UtcDatetime
    updated_at: UtcDatetime
    published_at: UtcDatetime | None = None
    variants: list[Variant] = []


class WebhookSubscription(ShopModel):
    id: int
    topic: str
    address: str
    format: str = "json"
    api_version: str | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
