"""When and how long to retry: exponential backoff with full jitter, honouring Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import tenacity

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Failures where the request provably never reached the server: safe to repeat any request.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class RetryableStatus(Exception):
    """A response whose status says "try again"; carries it so the last one can be returned."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.retry_after = retry_after_seconds(response)
        super().__init__(f"HTTP {response.status_code}")


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds asked for by a `Retry-After` header (delta-seconds or HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_seconds: float = 0.5
    cap_seconds: float = 20.0
    max_total_wait_seconds: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1)))

    def _wait(self, state: tenacity.RetryCallState) -> float:
        jittered = self.backoff(state.attempt_number)
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after", None)
        return max(jittered, asked) if asked is not None else jittered

    def retrying(self, *, idempotent: bool) -> tenacity.Retrying:
        """A tenacity loop; a non-idempotent request is repeated only if it was never processed."""

        def should_retry(exc: BaseException) -> bool:
            if isinstance(exc, RetryableStatus):
                return idempotent or exc.response.status_code == 429
            if isinstance(exc, NOT_SENT_ERRORS):
                return True
            return idempotent and isinstance(exc, httpx.TransportError)

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(should_retry),
            wait=self._wait,
            stop=(
                tenacity.stop_after_attempt(self.max_attempts)
                | tenacity.stop_before_delay(self.max_total_wait_seconds)
            ),
            reraise=True,
        )
