"""The token bucket keeps to its rate; backoff is bounded full jitter honouring Retry-After."""

import time

import httpx

from ledgerlink.http.ratelimit import TokenBucket
from ledgerlink.http.retry import RetryPolicy, retry_after_seconds


def test_bucket_paces_requests_to_its_rate():
    bucket = TokenBucket(rate=20, burst=1)
    started = time.monotonic()
    for _ in range(11):
        bucket.acquire()
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 0.9  # 10 intervals of 50 ms after the first token


def test_pause_holds_every_caller():
    bucket = TokenBucket(rate=1000)
    bucket.pause(0.2)
    started = time.monotonic()
    bucket.acquire()
    assert time.monotonic() - started >= 0.19


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
