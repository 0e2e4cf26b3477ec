"""Client-side token buckets, one per host, shared by every client in the process."""

from __future__ import annotations

import threading
import time


class TokenBucket:
    """Allows `rate` requests per second on average with bursts of up to `burst`.

    The default burst of one paces requests evenly, so a server that counts strictly never
    sees a burst above its limit: we stay under it instead of bouncing off it.

    `pause(seconds)` empties the bucket until then, so that when a server says
    `Retry-After`, every thread waits instead of each one finding out on its own.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = burst if burst is not None else 1.0
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may go; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                if now < self._paused_until:
                    delay = self._paused_until - now
                else:
                    self._tokens = min(
                        self.capacity, self._tokens + (now - self._updated) * self.rate
                    )
                    self._updated = now
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return waited
                    delay = (1 - self._tokens) / self.rate
            time.sleep(delay)
            waited += delay

    def pause(self, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            if until > self._paused_until:
                self._paused_until = until
                self._tokens = 0
                self._updated = until


_buckets: dict[str, TokenBucket] = {}
_registry_lock = threading.Lock()


def limiter_for_host(host: str, rate: float) -> TokenBucket:
    """The process-wide bucket for `host`; a later call with another rate re-rates it."""
    with _registry_lock:
        bucket = _buckets.get(host)
        if bucket is None:
            bucket = _buckets[host] = TokenBucket(rate)
        elif bucket.rate != rate:
            bucket.rate = rate
        return bucket
