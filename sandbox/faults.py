"""Fault injection for every emulator: an ASGI wrapper in front of the emulator's app.

Rules answer matching requests with an error status (429 with `Retry-After`, 5xx), delay them,
or drop the connection without an answer; each fires by probability (`rate`) or for the next
`count` matches after `skip` (a script). A server-side rate limit answers 429 like a real API.
A fixed latency delays every answer, as a distant API would, without holding up the others.
Paths under `/_sandbox/` are never faulted or delayed, so tests can always reach the controls.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

CONTROL_PREFIX = "/_sandbox"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ErrorBody = Callable[[int], tuple[str, bytes]]


class FaultRule(BaseModel):
    kind: Literal["status", "slow", "drop"] = "status"
    status: int = 503
    retry_after: float | None = None
    delay_seconds: float = 2.0
    rate: float = Field(default=0.0, ge=0, le=1)
    count: int | None = Field(default=None, ge=0)
    skip: int = Field(default=0, ge=0)
    method: str | None = None
    path: str = ""  # a regular expression searched in the request path

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not self.path or re.search(self.path, path) is not None


class _ArmedRule:
    def __init__(self, rule: FaultRule) -> None:
        self.rule = rule
        self.seen = 0
        self.fired = 0

    def should_fire(self, rng: random.Random) -> bool:
        self.seen += 1
        if self.seen <= self.rule.skip:
            return False
        if self.rule.count is not None:
            if self.fired >= self.rule.count:
                return False
            self.fired += 1
            return True
        if rng.random() < self.rule.rate:
            self.fired += 1
            return True
        return False


class ServerRateLimit:
    """ "N requests per second" as APIs count it: a bucket holding one second's worth, so an
    evenly paced client at exactly N/s always passes and a burst above N is refused."""

    def __init__(self) -> None:
        self.per_second: float | None = None
        self._tokens = 0.0
        self._updated = time.monotonic()

    def set(self, per_second: float | None) -> None:
        self.per_second = per_second
        self._tokens = self._capacity
        self._updated = time.monotonic()

    @property
    def _capacity(self) -> float:
        return max(1.0, self.per_second or 1.0)

    def take(self) -> float:
        """0 when the request may pass, else the seconds until it could."""
        if not self.per_second:
            return 0.0
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self.per_second)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.per_second


def default_error_body(status: int) -> tuple[str, bytes]:
    return "application/json", json.dumps({"error": f"sandbox fault {status}"}).encode()


class FaultInjector:
    """ASGI middleware; `rules`, `rate_limit` and `stats` are changed through the control routes."""

    def __init__(
        self,
        app: Any,
        *,
        seed: int = 0,
        error_body: ErrorBody = default_error_body,
        latency_seconds: float = 0.0,
    ) -> None:
        self.app = app
        self.error_body = error_body
        self.latency_seconds = latency_seconds
        self.rate_limit = ServerRateLimit()
        self._rules: list[_ArmedRule] = []
        self._seed = seed
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.stats: Counter[str] = Counter()

    # --- control -------------------------------------------------------------------------------
    def add(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules.extend(_ArmedRule(rule) for rule in rules)

    def clear(self) -> None:
        """No rules, no limit, and the random sequence from its start: the same faults fire
        for the same requests after every clear (and every reset), whatever ran before."""
        with self._lock:
            self._rules.clear()
            self.rate_limit.set(None)
            self._rng = random.Random(self._seed)

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**a.rule.model_dump(), "fired": a.fired, "seen": a.seen} for a in self._rules]

    # --- ASGI ------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        self.stats["requests"] += 1
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)  # yields: other requests keep flowing
        with self._lock:
            wait = self.rate_limit.take()
            fired = next(
                (
                    a.rule
                    for a in self._rules
                    if a.rule.matches(method, path) and a.should_fire(self._rng)
                ),
                None,
            )
        if wait:
            self.stats["rate_limited"] += 1
            await self._answer(send, 429, retry_after=max(1, round(wait + 0.5)))
            return
        if fired is None:
            await self.app(scope, receive, send)
            return
        self.stats[f"fault_{fired.kind}"] += 1
        if fired.kind == "slow":
            # The server has the whole request before it is slow, so a client that gives up
            # waiting does not stop the write: it commits after the client's timeout.
            receive = await _buffered(receive)
            await asyncio.sleep(fired.delay_seconds)
            await self.app(scope, receive, send)
        elif fired.kind == "drop":
            _drop_connection(send)
        else:
            await self._answer(send, fired.status, retry_after=fired.retry_after)

    async def _answer(self, send: Send, status: int, *, retry_after: float | None = None) -> None:
        content_type, body = self.error_body(status)
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if retry_after is not None:
            headers.append(
                (
                    b"retry-after",
                    str(
                        int(retry_after) if float(retry_after).is_integer() else retry_after
                    ).encode(),
                )
            )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _buffered(receive: Receive) -> Receive:
    """Read the request body now; the returned `receive` replays it, then waits as before."""
    body, more = bytearray(), True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
    replayed = False

    async def replay() -> dict[str, Any]:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}
        return await receive()

    return replay


def _drop_connection(send: Send) -> None:
    """Close the socket under the request without a response, as a crashed proxy would."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("sandbox fault: dropped connection")
    transport.close()
