"""Entities an account cannot serve are skipped with the API's reason; the source still loads.

An account may lack an entity altogether: a FreshBooks plan without credit notes answers 404,
a token without a scope 403, an M3 without a program 501 or its own "does not exist" for the
transaction. Such a refusal of an entity's list, before its first row, skips that entity with
a warning. Its resource stops before it touches its incremental state, so the next run asks
again from where the last good run left off. Every other failure (auth, 5xx after retries, a
refusal halfway through a list) still fails the source.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

from ledgerlink.errors import ApiError, LedgerlinkError, Unavailable
from ledgerlink.log import get_logger

T = TypeVar("T")
log = get_logger("ledgerlink.extract")

# Not found, forbidden, not implemented: the account does not offer this list.
UNAVAILABLE_STATUSES = frozenset({403, 404, 501})


def unavailable_reason(exc: BaseException) -> str | None:
    """The API's own words when `exc` says the account cannot serve the request, else None."""
    if isinstance(exc, Unavailable) or (
        isinstance(exc, ApiError) and exc.status in UNAVAILABLE_STATUSES
    ):
        return str(exc)
    return None


class Skipped:
    """The entities of one source run that were skipped, with the reason for each."""

    def __init__(self, system: str) -> None:
        self.system = system
        self.reasons: dict[str, str] = {}
        self._started: set[str] = set()
        self._lock = threading.Lock()  # FreshBooks and shop resources run in threads

    def guard(self, entity: str, rows: Iterable[T]) -> Iterator[T]:
        """`rows`, unless the API refuses the entity before its first row: then the entity is
        recorded as skipped and nothing more is read for it in this run (a transformer is
        called again for each parent row; it asks no more once refused)."""
        if entity in self.reasons:
            return
        try:
            for row in rows:
                self._started.add(entity)
                yield row
        except LedgerlinkError as exc:
            reason = unavailable_reason(exc)
            if reason is None or entity in self._started:
                raise
            self.skip(entity, reason)

    def skip(self, entity: str, reason: str) -> None:
        with self._lock:
            self.reasons.setdefault(entity, reason)
        log.warning(
            f"{self.system} {entity} skipped: {reason}; the other entities load, and the next "
            "run asks for it again",
            extra={"system": self.system, "entity": entity},
        )

    def skip_dependents(self, parents: Mapping[str, str], enabled: Iterable[str]) -> None:
        """Entities read from a skipped entity's rows were not read either: say so."""
        for entity in enabled:
            parent = parents.get(entity)
            while parent is not None and parent not in self.reasons:
                parent = parents.get(parent)
            if parent is not None and entity not in self.reasons:
                self.skip(entity, f"read from {parent}, which was skipped")

    def __bool__(self) -> bool:
        return bool(self.reasons)
