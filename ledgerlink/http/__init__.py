"""The one HTTP policy: every outbound call goes through `build_client`."""

from ledgerlink.http.client import build_client, is_idempotent, mark_idempotent, send
from ledgerlink.http.ratelimit import TokenBucket, limiter_for_host
from ledgerlink.http.retry import RetryPolicy

__all__ = [
    "RetryPolicy",
    "TokenBucket",
    "build_client",
    "is_idempotent",
    "limiter_for_host",
    "mark_idempotent",
    "send",
]
