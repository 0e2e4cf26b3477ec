"""Cursor handling for the shop source: offsets change with daylight saving, instants don't."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


def latest_instant(values: Sequence[str]) -> str:
    """The value with the latest instant; `-04:00` and `-05:00` stamps are compared correctly."""
    return max(values, key=lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")))
