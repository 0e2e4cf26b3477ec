"""A source's HTTP requests as one more counter of dlt's progress, beside its rows per table.

dlt counts rows and its own steps; the requests a connector makes are ours to count. Each
client a source builds gets an httpx `response` hook (`with_hook`) that calls
`RequestCounting.on_response`; the counting collector passes the requests on to the collector
it wraps as the `Requests` counter. Token refreshes go through the token managers' own clients,
so they are not counted. A call the HTTP policy retries counts once (its retries happen inside
the client's transport); one sent again with a new token after a 401 counts twice.

A parallelized resource reads in dlt's worker threads, and dlt's collectors are not
thread-safe (nor are they meant to be updated between steps): a request is only added to a
locked count where it happens, and the count is handed to the wrapped collector from the thread
that runs the step, at dlt's next update there and when the step ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import httpx
from dlt.common.runtime.collector import Collector

REQUESTS = "Requests"  # the counter's name, beside dlt's (`Resources`, ...) and the tables'

ResponseHook = Callable[[httpx.Response], None]
Client = TypeVar("Client")


class RequestCounting(Collector):
    """`collector` as it is, plus the `Requests` counter of the HTTP calls `on_response` saw."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.step = ""
        self._pending = 0
        self._lock = threading.Lock()
        self._owner: threading.Thread | None = None  # the thread running the current step

    def on_response(self, response: httpx.Response) -> None:
        """The httpx `response` hook: one request answered (whatever its status)."""
        with self._lock:
            self._pending += 1
        if threading.current_thread() is self._owner:
            self._report()

    def _report(self) -> None:
        """Hand the requests counted so far to the wrapped collector (on the step's thread)."""
        with self._lock:
            pending, self._pending = self._pending, 0
        if pending:
            self.collector.update(REQUESTS, pending)

    def update(
        self,
        name: str,
        inc: int = 1,
        total: int | None = None,
        inc_total: int | None = None,
        message: str | None = None,
        label: str | None = None,
    ) -> None:
        self.collector.update(name, inc, total, inc_total, message, label)  # type: ignore[arg-type]
        if threading.current_thread() is self._owner:
            self._report()

    def __call__(self, step: str) -> RequestCounting:
        self.step = step
        self.collector(step)
        return self

    def __enter__(self) -> RequestCounting:
        self.collector.__enter__()
        self._owner = threading.current_thread()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._report()  # a failed step's requests too: they say how far it got
        finally:
            self._owner = None
            self.collector.__exit__(exc_type, exc, traceback)

    def _start(self, step: str) -> None:
        self.collector._start(step)

    def _stop(self) -> None:
        self.collector._stop()

    # dlt's trace callbacks go to the wrapped collector as they would without the counting
    def on_start_trace(self, *args: Any) -> None:
        self.collector.on_start_trace(*args)

    def on_start_trace_step(self, *args: Any) -> None:
        self.collector.on_start_trace_step(*args)

    def on_end_trace_step(self, *args: Any) -> None:
        self.collector.on_end_trace_step(*args)

    def on_end_trace(self, *args: Any) -> None:
        self.collector.on_end_trace(*args)


def with_hook(
    factory: Callable[[], Client],
    on_response: ResponseHook | None,
    http: Callable[[Client], httpx.Client],
) -> Callable[[], Client]:
    """`factory`, whose clients call `on_response` after each answer their `http(client)` gets;
    `factory` itself when there is nothing to call."""
    if on_response is None:
        return factory

    def build() -> Client:
        client = factory()
        http(client).event_hooks["response"].append(on_response)
        return client

    return build
