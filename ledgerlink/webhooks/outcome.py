"""What a delivery came to (the HTTP reply) and the receiver's in-memory counts of them.

The counts say what the receiver refused and why, which is worth something to someone probing
it: they stay in the process (the log when it stops, the line `webhooks serve` ends with),
never in an unauthenticated answer.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

Result = Literal["accepted", "duplicate", "rejected", "handshake"]


@dataclass(frozen=True)
class Outcome:
    """One delivery's result; `reason` is a short code (`bad_signature`, `stale`, ...)."""

    status: int
    result: Result
    reason: str | None = None
    topic: str | None = None  # set once the delivery is authentic (for logs, never replied)

    def body(self) -> dict[str, str]:
        if self.result == "rejected":
            return {"error": self.reason or "rejected"}
        return {"result": self.result, **({"detail": self.reason} if self.reason else {})}


def accepted(topic: str) -> Outcome:
    return Outcome(200, "accepted", topic=topic)


def duplicate(topic: str) -> Outcome:
    return Outcome(200, "duplicate", topic=topic)  # 2xx, so the sender stops retrying


def rejected(reason: str, status: int = 401) -> Outcome:
    return Outcome(status, "rejected", reason)


class Counters:
    """Per-source counts of results and rejection reasons since the process started."""

    def __init__(self, sources: tuple[str, ...] = ("freshbooks", "shop")) -> None:
        self._lock = threading.Lock()
        self._results: dict[str, Counter[str]] = {source: Counter() for source in sources}
        self._reasons: dict[str, Counter[str]] = {source: Counter() for source in sources}

    def add(self, source: str, outcome: Outcome) -> None:
        with self._lock:
            self._results.setdefault(source, Counter())[outcome.result] += 1
            if outcome.result == "rejected" and outcome.reason:
                self._reasons.setdefault(source, Counter())[outcome.reason] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                source: {
                    **{r: results.get(r, 0) for r in ("accepted", "duplicate", "rejected")},
                    "handshakes": results.get("handshake", 0),
                    "rejected_reasons": dict(self._reasons.get(source, {})),
                }
                for source, results in self._results.items()
            }

    def summary(self) -> str:
        """`freshbooks 3 accepted, 1 duplicate, 0 rejected; shop ...`, for a log line."""
        snapshot = self.snapshot()
        return "; ".join(
            f"{source} {counts['accepted']} accepted, {counts['duplicate']} duplicate, "
            f"{counts['rejected']} rejected"
            for source, counts in snapshot.items()
        )
