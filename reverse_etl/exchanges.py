"""The HTTP exchanges of one try of one record, as the push saw them (for `ops.sync_attempts`).

The writers' HTTP clients get a response hook (`attach`); while a try runs inside `capture()`,
each request it sends and each answer it gets is appended to that try's list, in the thread of
the try (pushes run records in worker threads, and each has its own context). Everything is
redacted and cut to a bounded size; headers, where credentials travel, are never kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx

from ledgerlink.redaction import redact

MAX_BODY_CHARACTERS = 4000
MAX_EXCHANGES = 50  # per try; a try that sends more keeps the first ones

_current: ContextVar[list[dict[str, Any]] | None] = ContextVar("exchanges", default=None)


@contextmanager
def capture() -> Iterator[list[dict[str, Any]]]:
    """Collect the exchanges of the block (in this thread)."""
    seen: list[dict[str, Any]] = []
    token = _current.set(seen)
    try:
        yield seen
    finally:
        _current.reset(token)


def attach(client: httpx.Client) -> None:
    """Record the exchanges of `client` while a `capture()` block runs."""
    hooks = client.event_hooks
    if _on_response not in hooks.setdefault("response", []):
        hooks["response"].append(_on_response)
        client.event_hooks = hooks


def _on_response(response: httpx.Response) -> None:
    seen = _current.get()
    if seen is None or len(seen) >= MAX_EXCHANGES:
        return
    response.read()
    request = response.request
    seen.append(
        {
            "method": request.method,
            "url": _cut(str(request.url)),
            "request": _cut(request.content.decode("utf-8", "replace")),
            "status": response.status_code,
            "response": _cut(response.text),
        }
    )


def _cut(text: str) -> str:
    text = redact(text)
    if len(text) <= MAX_BODY_CHARACTERS:
        return text
    return text[:MAX_BODY_CHARACTERS] + f" ... ({len(text) - MAX_BODY_CHARACTERS} more characters)"
