"""Typed FreshBooks records: money as Decimal, accounting timestamps converted to UTC.

FreshBooks sends accounting `updated`/`created_at` as naive US/Eastern strings, client
`signup_date` as naive UTC, and money as `{"amount": "12.30", "code": "USD"}`. The models
fix those quirks once, here; unknown fields are kept (`extra="allow"`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

EASTERN = ZoneInfo("America/New_York")


def eastern_to_utc(value: Any) -> datetime | None:
    """Read FreshBooks' naive US/Eastern timestamp as a UTC instant.

    Around a clock change the wall time is not one instant; `fold=0` settles it as staging's
    `eastern_to_utc` macro does: a repeated time (fall back) is its first occurrence, EDT
    (2024-11-03 01:30 -> 05:30Z), and a skipped time (spring forward) keeps the offset in
    force before the change, EST (2024-03-10 02:30 -> 07:30Z).
    """
    if value in (None, ""):
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=EASTERN, fold=0)
    return parsed.astimezone(UTC)


def naive_utc(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = (
        value
        if isinstance(value, datetime)
        else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


EasternTimestamp = Annotated[datetime | None, BeforeValidator(eastern_to_utc)]
UtcTimestamp = Annotated[datetime | None, BeforeValidator(naive_utc)]
OptionalDate = Annotated[date | None, BeforeValidator(_blank_to_none)]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: Decimal
    code: str | None = None


class FreshBooksRecord(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: int
    vis_state: int = 0
    updated: EasternTimestamp = None

    @property
    def deleted(self) -> bool:
        return self.vis_state == 1

    @property
    def archived(self) -> bool:
        return self.vis_state == 2


class Client(FreshBooksRecord):
    userid: int | None = None
    fname: str | None = None
    lname: str | None = None
    organization: str | None = None
    email: str | None = None
    currency_code: str | None = None
    bus_phone: str | None = None
    p_street: str | None = None
    p_street2: str | None = None
    p_city: str | None = None
    p_province: str | None = None
    p_code: str | None = None
    p_country: str | None = None
    vat_name: str | None = None
    vat_number: str | None = None
    signup_date: UtcTimestamp = None


class InvoiceLine(BaseModel):
    model_config = ConfigDict(extra="allow")

    lineid: int | None = None
    type: int = 0
    name: str | None = None
    description: str | None = None
    qty: Decimal
    unit_cost: Money
    amount: Money | None = None
    taxName1: str | None = None
    taxAmount1: Decimal | None = None
    taxName2: str | None = None
    taxAmount2: Decimal | None = None


class Invoice(FreshBooksRecord):
    invoiceid: int | None = None
    invoice_number: str
    customerid: int
    create_date: date
    due_date: OptionalDate = None
    currency_code: str
    amount: Money
    outstanding: Money | None = None
    paid: Money | None = None
    status: int
    v3_status: str | None = None
    payment_status: str | None = None
    display_status: str | None = None
    po_number: str | None = None
    notes: str | None = None
    created_at: EasternTimestamp = None
    lines: list[InvoiceLine] = Field(default_factory=list)


class Payment(FreshBooksRecord):
    logid: int | None = None
    invoiceid: int | None = None
    clientid: int | None = None
    amount: Money
    date: date
    type: str | None = None
    gateway: str | None = None
    note: str | None = None
    transactionid: str | None = None


class Expense(FreshBooksRecord):
    expenseid: int | None = None
    categoryid: int
    clientid: int | None = None
    date: date
    amount: Money
    vendor: str | None = None
    notes: str | None = None
    taxName1: str | None = None
    taxAmount1: Money | None = None
    taxPercent1: Decimal | None = None
    status: int | None = None


class ExpenseCategory(FreshBooksRecord):
    categoryid: int | None = None
    category: str
    parentid: int | None = None
    is_cogs: bool | None = None
    created_at: EasternTimestamp = None
    updated_at: EasternTimestamp = None


class Item(FreshBooksRecord):
    itemid: int | None = None
    name: str
    description: str | None = None
    sku: str | None = None
    qty: Decimal | None = None
    unit_cost: Money | None = None


class Tax(FreshBooksRecord):
    taxid: int | None = None
    name: str
    amount: Decimal | None = None
    number: str | None = None
    compound: bool | None = None


class CreditNote(FreshBooksRecord):
    creditid: int | None = None
    credit_number: str | None = None
    clientid: int | None = None
    create_date: OptionalDate = None
    amount: Money | None = None
    currency_code: str | None = None


class Business(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    account_id: str
    business_uuid: str | None = None
    name: str | None = None


class BusinessMembership(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    role: str | None = None
    business: Business


class Identity(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    identity_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    business_memberships: list[BusinessMembership] = Field(default_factory=list)


class Callback(BaseModel):
    model_config = ConfigDict(extra="allow")

    callbackid: int
    event: str
    uri: str
    verified: bool = False
