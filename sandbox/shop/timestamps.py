"""The shop's time conventions: local-offset timestamps out, UTC sort keys in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    # Shopify answers in the shop's own time zone, so offsets move with daylight saving time.
    SHOP_TIMEZONE: timezone | ZoneInfo = ZoneInfo("America/New_York")
except ZoneInfoNotFoundError:  # a machine without tz data still gets a plausible fixed offset
    SHOP_TIMEZONE = timezone(timedelta(hours=-5))

_KEY_FORMAT = "%Y-%m-%dT%H:%M:%S"


def as_utc(value: datetime) -> datetime:
    """An aware UTC instant at whole seconds (the API's precision); naive means UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def shop_time(value: datetime) -> str:
    """`2025-07-01T09:30:00-04:00`: how the Admin API writes every timestamp."""
    return as_utc(value).astimezone(SHOP_TIMEZONE).isoformat()


def sort_key(value: datetime) -> str:
    """UTC text that sorts like the instant; what the store's indexed columns hold."""
    return as_utc(value).strftime(_KEY_FORMAT)


def parse_api_time(text: str) -> datetime:
    """A query-string timestamp; one without an offset is in the shop's zone, as on Shopify."""
    value = datetime.fromisoformat(text.strip().replace(" ", "+", 1) if "T" in text else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHOP_TIMEZONE)
    return value


def triggered_at(value: datetime) -> str:
    """`X-Shopify-Triggered-At`: UTC with nanosecond digits and a `Z`, as Shopify sends it."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond * 1000:09d}Z"
