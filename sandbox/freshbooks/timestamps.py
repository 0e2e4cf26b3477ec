"""Timestamps: UTC in the database, FreshBooks' naive US/Eastern (or UTC) strings at the edge."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
STORED = "%Y-%m-%d %H:%M:%S.%f"  # sortable text, always UTC
SECONDS = "%Y-%m-%d %H:%M:%S"


def stored(moment: datetime) -> str:
    """A stored timestamp for an aware datetime, or a naive one taken as UTC (the world's)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(STORED)


def parse_stored(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


@lru_cache(maxsize=65_536)  # list pages render the same few instants many times (lines)
def _eastern(value: str) -> str:
    return parse_stored(value).astimezone(EASTERN).strftime(SECONDS)


def eastern(value: str | None) -> str | None:
    """Accounting `updated` / `created_at`: naive America/New_York wall time, to the second."""
    return None if value is None else _eastern(value)


def eastern_micro(value: str) -> str:
    """Invoice `version`: Eastern wall time with microseconds."""
    return parse_stored(value).astimezone(EASTERN).strftime(STORED)


def utc(value: str | None) -> str | None:
    """Client `signup_date`: naive UTC to the second."""
    if value is None:
        return None
    return parse_stored(value).strftime(SECONDS)


def iso_z(value: str) -> str:
    """Callback `updated_at`: ISO-8601 UTC with Z."""
    return parse_stored(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def eastern_date(moment: datetime) -> date:
    """The Eastern calendar day of an instant (what "today" means to the account)."""
    return moment.astimezone(EASTERN).date()


def eastern_day_start(day: date) -> str:
    """The stored UTC instant at which an Eastern calendar day begins (DST aware)."""
    return stored(datetime.combine(day, time.min, tzinfo=EASTERN))


def eastern_day_bounds(first: date | None, last: date | None) -> tuple[str | None, str | None]:
    """Half-open stored range [start of `first`, start of the day after `last`) in UTC."""
    low = eastern_day_start(first) if first else None
    high = eastern_day_start(last + timedelta(days=1)) if last and last < date.max else None
    return low, high


def utc_day_bounds(first: date | None, last: date | None) -> tuple[str | None, str | None]:
    """`eastern_day_bounds` for resources whose days are UTC days."""
    low = stored(datetime.combine(first, time.min)) if first else None
    high = (
        stored(datetime.combine(last + timedelta(days=1), time.min))
        if last and last < date.max
        else None
    )
    return low, high
