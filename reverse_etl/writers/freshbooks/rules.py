"""FreshBooks' rules for what we send, checked before any request (pydantic models)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator

from ledgerlink.connectors.freshbooks.errors import SERVICE
from ledgerlink.errors import ValidationFailed

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
CENT = Decimal("0.01")

M = TypeVar("M", bound=BaseModel)


class ClientFields(BaseModel):
    """The client fields we send; None means "leave as it is"."""

    email: str | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=254)
    fname: str | None = None
    lname: str | None = None
    organization: str | None = None
    bus_phone: str | None = None
    p_street: str | None = None
    p_street2: str | None = None
    p_city: str | None = None
    p_province: str | None = None
    p_code: str | None = None
    p_country: str | None = None
    currency_code: str | None = Field(default=None, pattern=CURRENCY_PATTERN)


class MoneyFields(BaseModel):
    amount: Decimal
    code: str | None = Field(default=None, pattern=CURRENCY_PATTERN)

    @field_validator("amount")
    @classmethod
    def _whole_cents(cls, amount: Decimal) -> Decimal:
        if amount != amount.quantize(CENT):
            raise ValueError("money has at most 2 decimals (FreshBooks would round it)")
        return amount


class InvoiceLineFields(BaseModel):
    type: int = Field(default=0, ge=0, le=1)
    name: str = ""
    description: str = ""
    qty: Decimal
    unit_cost: MoneyFields
    taxName1: str = ""
    taxAmount1: Decimal = Decimal(0)  # a percentage, as on every FreshBooks invoice line
    taxName2: str = ""
    taxAmount2: Decimal = Decimal(0)


class InvoiceFields(BaseModel):
    """An invoice as planned. `customerid` may be unknown while its client is still to be
    created (the row waits on it); a write requires it."""

    customerid: int | None = Field(default=None, gt=0)
    create_date: date
    invoice_number: str = Field(min_length=1)
    currency_code: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    notes: str | None = None
    lines: list[InvoiceLineFields] = Field(min_length=1)


class InvoiceStatusFields(BaseModel):
    invoiceid: int | None = Field(default=None, gt=0)
    action_mark_as_sent: bool = False
    po_number: str | None = Field(default=None, min_length=1)


def invalid(what: str, field: str | None, problem: str) -> ValidationFailed:
    """A row refused before any request: the runner makes it a dead letter at once."""
    return ValidationFailed(
        SERVICE,
        f"{what} not sent: {problem}; fix the source data (or the sync model), then replay",
        code="invalid_record",
        field=field,
    )


def validated(model: type[M], data: Mapping[str, Any], what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        text = "; ".join(f"{loc or '<record>'}: {msg}" for loc, msg in problems)
        raise invalid(what, problems[0][0] or None, text) from None


def present(values: Mapping[str, Any]) -> dict[str, Any]:
    """Null means "do not send": drop it, so a required field reads as missing."""
    return {k: v for k, v in values.items() if v is not None}
