"""What the webhook tests share: a real uvicorn receiver in a thread, signed deliveries, waits."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from conftest import serving_in_thread
from fastapi import FastAPI

from ledgerlink.connectors.freshbooks.webhooks import SIGNATURE_HEADER
from ledgerlink.connectors.freshbooks.webhooks import sign_webhook as sign_freshbooks
from ledgerlink.connectors.shop.webhooks import sign_webhook as sign_shop
from ledgerlink.settings import Settings
from ledgerlink.webhooks.app import create_app
from ledgerlink.webhooks.server import bind, build_server, url_of

T = TypeVar("T")
ACCOUNT_ID = "6BApk"


@contextmanager
def serving_app(settings: Settings) -> Iterator[tuple[str, FastAPI]]:
    """The receiver for `settings` on a free loopback port, under uvicorn; yields its URL and
    the app (whose `state.counters` hold what `/healthz` no longer tells strangers)."""
    sock = bind("127.0.0.1", 0)
    app = create_app(settings)
    with serving_in_thread(build_server(app), sock, "receiver"):
        yield url_of(sock), app


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The receiver for `settings` on a free loopback port, under uvicorn; yields its URL."""
    with serving_app(settings) as (url, _app):
        yield url


def freshbooks_delivery(
    verifier: str, name: str = "invoice.update", object_id: int | str = 1234567
) -> tuple[bytes, dict[str, str]]:
    """A FreshBooks-style delivery: the form body and its headers, signed with `verifier`."""
    fields = [
        ("name", name),
        ("object_id", str(object_id)),
        ("account_id", ACCOUNT_ID),
        ("business_id", "6543"),
        ("identity_id", "1234"),
        ("user_id", "1"),
    ]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        SIGNATURE_HEADER: sign_freshbooks(verifier, fields),
    }
    return urlencode(fields).encode(), headers


def verification(callback_id: int, verifier: str, account_id: str = ACCOUNT_ID) -> bytes:
    """The body of FreshBooks' `callback.verify` announcement."""
    fields = [
        ("name", "callback.verify"),
        ("object_id", str(callback_id)),
        ("verifier", verifier),
        ("account_id", account_id),
    ]
    return urlencode(fields).encode()


def shop_delivery(
    secret: str,
    *,
    topic: str = "orders/create",
    order_id: int = 820982911946154508,
    event_id: str | None = None,
    triggered: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A Shopify-style delivery (compact JSON body) and its headers, signed with `secret`."""
    body = f'{{"id":{order_id},"total_price":"19.95","email":"buyer@example.org"}}'.encode()
    fired = triggered or datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": sign_shop(body, secret),
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": fired.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",
        "X-Shopify-Shop-Domain": "ledgerlink-sandbox.myshopify.com",
    }
    return body, headers


def stale(hours: float = 6) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


def wait_for(probe: Callable[[], T], timeout: float = 15, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class LogCapture(logging.Handler):
    """Everything the webhook modules log, as formatted text (message and structured fields)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {vars(record)!r}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def captured_logs(name: str = "ledgerlink.webhooks") -> Iterator[LogCapture]:
    logger = logging.getLogger(name)
    capture, level = LogCapture(), logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)
        logger.setLevel(level)


def post(url: str, body: bytes, headers: dict[str, Any]) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers, timeout=10)
