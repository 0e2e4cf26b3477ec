"""Request bodies: JSON parsing (money stays Decimal) and per-field type checks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.freshbooks import errors
from sandbox.freshbooks.money import amount_text, number_text
from sandbox.freshbooks.resources import (
    BOOL,
    CURRENCY,
    DATE,
    DECIMAL,
    EMAIL,
    INT,
    MONEY,
    STR,
    VIS,
    Resource,
)

# Bounds that keep every stored number inside SQLite integers and DECIMAL(18,2).
MAX_INT = 2**53
MAX_NUMBER = Decimal("1e15")
MAX_DUE_OFFSET_DAYS = 3650

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_body(raw: bytes, wrapper: str) -> dict[str, Any]:
    """The object under `wrapper` (`{"invoice": {...}}`), or the API's error for a bad body."""
    try:
        document = json.loads(raw or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.bad_request(f"Malformed JSON in request body: {error}.") from None
    if not isinstance(document, dict) or wrapper not in document:
        raise errors.required(wrapper, wrapper)
    inner = document[wrapper]
    if not isinstance(inner, dict):
        raise errors.invalid(wrapper, wrapper, f"'{wrapper}' must be an object.")
    return inner


def to_text(obj: str, key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise errors.invalid(obj, key, f"'{key}' must be a string.", _shown(value))


def to_int(obj: str, key: str, value: Any) -> int:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value)
    if number is not None and abs(number) < MAX_INT:
        return number
    raise errors.invalid(obj, key, f"'{key}' must be an integer.", _shown(value))


def _bool(obj: str, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise errors.invalid(obj, key, f"'{key}' must be a boolean.", _shown(value))


def to_date(obj: str, key: str, value: Any) -> str:
    if isinstance(value, str) and DATE_PATTERN.match(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass  # e.g. 2026-02-30
    raise errors.invalid(obj, key, f"'{key}' must be a date (YYYY-MM-DD).", _shown(value))


def to_decimal(obj: str, key: str, value: Any) -> Decimal:
    if isinstance(value, int | Decimal | str) and not isinstance(value, bool):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite() and abs(number) < MAX_NUMBER:
            return number
    raise errors.invalid(obj, key, f"'{key}' must be a number.", _shown(value))


def _decimal_text(obj: str, key: str, value: Any) -> str | None:
    return None if value is None else number_text(to_decimal(obj, key, value))


def to_money(obj: str, key: str, value: Any) -> dict[str, str | None]:
    """`{"amount": "12.30", "code": "USD"}`; the code may be left out (the caller fills it)."""
    if not isinstance(value, dict) or "amount" not in value:
        raise errors.invalid(
            obj, key, f"'{key}' must be an object with an 'amount'.", _shown(value)
        )
    amount = to_decimal(obj, f"{key}.amount", value["amount"])
    code = value.get("code")
    if code is not None:
        code = _currency(obj, f"{key}.code", code)
    return {"amount": amount_text(amount), "code": code}


def _email(obj: str, key: str, value: Any) -> str | None:
    if value is None or value == "":
        return value
    if isinstance(value, str) and EMAIL_PATTERN.match(value):
        return value
    raise errors.invalid(obj, key, "Invalid email address.", _shown(value))


def _currency(obj: str, key: str, value: Any) -> str:
    if isinstance(value, str) and CURRENCY_PATTERN.match(value):
        return value
    raise errors.invalid(obj, key, f"'{key}' must be a currency code such as USD.", _shown(value))


def to_vis_state(obj: str, key: str, value: Any) -> int:
    state = to_int(obj, key, value)
    if state not in (0, 1, 2):
        raise errors.invalid(obj, key, "vis_state must be 0, 1 or 2.", state)
    return state


COERCE: dict[str, Callable[[str, str, Any], Any]] = {
    STR: to_text,
    INT: to_int,
    BOOL: _bool,
    DATE: to_date,
    DECIMAL: _decimal_text,
    MONEY: to_money,
    EMAIL: _email,
    CURRENCY: _currency,
    VIS: to_vis_state,
}


def coerce(resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """The known writable fields of `body`, checked and normalised; other keys are ignored, as
    the API ignores read-only and unknown keys."""
    values: dict[str, Any] = {}
    for key, value in body.items():
        kind = resource.fields.get(key)
        if kind is not None:
            values[key] = COERCE[kind](resource.name, key, value)
    days = values.get("due_offset_days")
    if days is not None and not 0 <= days <= MAX_DUE_OFFSET_DAYS:
        message = f"due_offset_days must be between 0 and {MAX_DUE_OFFSET_DAYS}."
        raise errors.invalid(resource.name, "due_offset_days", message, days)
    return values


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:200]
