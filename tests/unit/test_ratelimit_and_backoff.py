"""The token bucket keeps to its rate; backoff is bounded full jitter honouring Retry-After."""

import httpx
import pytest

from ledgerlink.http import ratelimit
from ledgerlink.http.ratelimit import TokenBucket
from ledgerlink.http.retry import RetryPolicy, retry_after_seconds


class Clock:
    """The bucket's clock: `sleep` moves it on at once, so pacing is instant. The tests' rates
    and pauses are powers of two, whose sums floats hold exactly (a real clock always moves on;
    this one must not stall a hair short of the next token)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


def test_bucket_paces_requests_to_its_rate(clock: Clock):
    bucket = TokenBucket(rate=16, burst=1)
    started = clock.now
    waits = [bucket.acquire() for _ in range(11)]
    assert waits[0] == 0  # the first token is there
    assert clock.now - started == 10 / 16  # then one interval each
    assert waits[1:] == [1 / 16] * 10


def test_a_burst_goes_at_once_then_paces(clock: Clock):
    bucket = TokenBucket(rate=8, burst=3)
    assert [bucket.acquire() for _ in range(3)] == [0, 0, 0]
    assert bucket.acquire() == 1 / 8


def test_pause_holds_every_caller(clock: Clock):
    bucket = TokenBucket(rate=1024)
    bucket.pause(0.25)
    started = clock.now
    bucket.acquire()
    assert clock.now - started == 0.25 + 1 / 1024  # the pause, then an empty bucket's interval


def test_backoff_is_full_jitter_and_capped():
    policy = RetryPolicy(base_seconds=1, cap_seconds=4)
    samples = [policy.backoff(attempt) for attempt in range(1, 8) for _ in range(50)]
    assert all(0 <= s <= 4 for s in samples)
    assert max(policy.backoff(6) for _ in range(200)) > 2  # grows to the cap
    assert max(policy.backoff(1) for _ in range(200)) <= 1


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "3"})) == 3
    assert (
        retry_after_seconds(
            httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        )
        == 0
    )
    assert retry_after_seconds(httpx.Response(429)) is None
