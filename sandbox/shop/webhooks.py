"""Webhook subscriptions and their signed deliveries, sent from a background thread.

Each delivery is a POST of the resource's JSON, signed as Shopify signs it: `X-Shopify-Hmac-Sha256`
is the base64 HMAC-SHA256 of the raw body keyed with the app secret. A failed delivery (non-2xx,
timeout, refused) is retried a few times with growing delays, keeping its webhook id, event id and
`X-Shopify-Triggered-At`, as Shopify does (it retries 8 times over 4 hours; the sandbox is quicker).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import httpx

from sandbox.database import Database, dumps, loads
from sandbox.shop.documents import SHOP_DOMAIN
from sandbox.shop.errors import Unprocessable
from sandbox.shop.timestamps import shop_time, triggered_at

API_VERSION = "2024-07"
TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/fulfilled",
    "customers/create",
    "customers/update",
)
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)  # seconds before attempts 2..5
DELIVERY_TIMEOUT = 5.0  # Shopify gives a receiver five seconds to answer


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Subscriptions:
    """`/webhooks.json`: what the API lets an app register, list and delete."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, body: dict[str, Any], now: datetime) -> dict[str, Any]:
        topic, address = body.get("topic"), body.get("address")
        fmt = body.get("format", "json")
        errors: dict[str, list[str]] = {}
        if topic not in TOPICS:
            errors["topic"] = [
                f"Invalid topic specified: {topic}. Topics allowed: {', '.join(TOPICS)}"
            ]
        parsed = urlparse(address or "")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors["address"] = ["is invalid"] if address else ["can't be blank"]
        if fmt != "json":
            errors["format"] = ["is not supported by the sandbox (json only)"]
        if not errors and self.db.scalar(
            "select 1 from shop_webhooks where topic = ? and address = ?", (topic, address)
        ):
            errors["address"] = ["for this topic has already been taken"]
        if errors:
            raise Unprocessable(errors)
        webhook_id = (
            int(self.db.scalar("select coalesce(max(id), 1400000000000) from shop_webhooks")) + 1
        )
        doc = {
            "id": webhook_id,
            "address": address,
            "topic": topic,
            "created_at": shop_time(now),
            "updated_at": shop_time(now),
            "format": "json",
            "fields": list(body.get("fields") or []),
            "metafield_namespaces": list(body.get("metafield_namespaces") or []),
            "api_version": API_VERSION,
            "private_metafield_namespaces": [],
        }
        self.db.execute(
            "insert into shop_webhooks values (?, ?, ?, ?, ?, ?, ?)",
            (webhook_id, topic, address, "json", doc["created_at"], doc["updated_at"], dumps(doc)),
        )
        return doc

    def update(self, webhook_id: int, body: dict[str, Any], now: datetime) -> dict[str, Any] | None:
        doc = self.get(webhook_id)
        if doc is None:
            return None
        address = body.get("address", doc["address"])
        parsed = urlparse(address or "")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise Unprocessable({"address": ["is invalid"]})
        doc.update(address=address, updated_at=shop_time(now))
        self.db.execute(
            "update shop_webhooks set address = ?, updated_at = ?, doc = ? where id = ?",
            (address, doc["updated_at"], dumps(doc), webhook_id),
        )
        return doc

    def get(self, webhook_id: int) -> dict[str, Any] | None:
        doc = self.db.scalar("select doc from shop_webhooks where id = ?", (webhook_id,))
        return None if doc is None else loads(doc)

    def list(self, topic: str | None = None, address: str | None = None) -> list[dict[str, Any]]:
        sql, params = "select doc from shop_webhooks where 1 = 1", []
        if topic:
            sql += " and topic = ?"
            params.append(topic)
        if address:
            sql += " and address = ?"
            params.append(address)
        return [loads(r["doc"]) for r in self.db.all(sql + " order by id", params)]

    def delete(self, webhook_id: int) -> bool:
        return self.db.execute("delete from shop_webhooks where id = ?", (webhook_id,)).rowcount > 0


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    generation: int = field(compare=False)
    webhook_id: str = field(compare=False)
    address: str = field(compare=False)
    headers: dict[str, str] = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(compare=False, default=1)


class Dispatcher:
    """Queues deliveries and sends them from one daemon thread, retrying failures."""

    def __init__(self, db: Database, subscriptions: Subscriptions, secret: str) -> None:
        self.db = db
        self.subscriptions = subscriptions
        self.secret = secret
        self._jobs: list[_Job] = []
        self._seq = itertools.count()
        self._generation = 0
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        # Deliver directly, never through a proxy from the environment, as Shopify would.
        self._http = httpx.Client(timeout=DELIVERY_TIMEOUT, follow_redirects=False, trust_env=False)

    def publish(self, topic: str, payload: dict[str, Any]) -> list[str]:
        """Queue one delivery per subscription to `topic`; returns their webhook ids."""
        subscribers = self.subscriptions.list(topic=topic)
        if not subscribers:
            return []
        body = json.dumps(payload, separators=(",", ":")).encode()
        event_id = str(uuid.uuid4())
        # Transport metadata in wall-clock time, as receivers check it against their own clock
        # (the sandbox clock may be moved to simulate business time).
        fired_at = triggered_at(datetime.now(UTC))
        webhook_ids = []
        with self._wake:
            for sub in subscribers:
                webhook_id = str(uuid.uuid4())
                headers = {
                    "Content-Type": "application/json",
                    "X-Shopify-Topic": topic,
                    "X-Shopify-Hmac-Sha256": sign(body, self.secret),
                    "X-Shopify-Shop-Domain": SHOP_DOMAIN,
                    "X-Shopify-Webhook-Id": webhook_id,
                    "X-Shopify-Event-Id": event_id,
                    "X-Shopify-Triggered-At": fired_at,
                    "X-Shopify-API-Version": API_VERSION,
                    "User-Agent": "Shopify-Captain-Hook",
                }
                self.db.execute(
                    "insert into shop_deliveries values "
                    "(?, ?, ?, ?, ?, 'pending', 0, null, null, ?, null)",
                    (webhook_id, event_id, sub["id"], topic, sub["address"], fired_at),
                )
                heapq.heappush(
                    self._jobs,
                    _Job(time.monotonic(), next(self._seq), self._generation, webhook_id,
                         sub["address"], headers, body),
                )  # fmt: skip
                webhook_ids.append(webhook_id)
            self._ensure_thread()
            self._wake.notify()
        return webhook_ids

    def forget_pending(self) -> None:
        """Drop queued deliveries (on reset: their subscriptions are gone)."""
        with self._wake:
            self._generation += 1
            self._jobs.clear()

    def deliveries(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.all("select * from shop_deliveries order by rowid")]

    # --- the sending thread ----------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="shop-webhooks", daemon=True)
            self._thread.start()

    def _next_job(self) -> _Job:
        with self._wake:
            while True:
                if self._jobs:
                    wait = self._jobs[0].due - time.monotonic()
                    if wait <= 0:
                        return heapq.heappop(self._jobs)
                    self._wake.wait(wait)
                else:
                    self._wake.wait()

    def _run(self) -> None:
        while True:
            job = self._next_job()
            status, error = self._post(job)
            self._record(job, status, error)

    def _post(self, job: _Job) -> tuple[int | None, str | None]:
        try:
            response = self._http.post(job.address, content=job.body, headers=job.headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"

    def _record(self, job: _Job, status: int | None, error: str | None) -> None:
        with self._wake:
            if job.generation != self._generation:
                return  # the sandbox was reset while this delivery was in flight
            retry = error is not None and job.attempt <= len(RETRY_DELAYS)
            outcome = "delivered" if error is None else ("retrying" if retry else "failed")
            self.db.execute(
                "update shop_deliveries set status = ?, attempts = ?, last_status = ?, "
                "last_error = ?, delivered_at = ? where webhook_id = ?",
                (
                    outcome,
                    job.attempt,
                    status,
                    error,
                    datetime.now(UTC).isoformat() if error is None else None,
                    job.webhook_id,
                ),
            )
            if retry:
                job.due = time.monotonic() + RETRY_DELAYS[job.attempt - 1]
                job.attempt += 1
                job.seq = next(self._seq)
                heapq.heappush(self._jobs, job)
