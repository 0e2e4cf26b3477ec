"""Webhook callbacks: registration, the verification handshake and signed event deliveries.

Deliveries are form-encoded POSTs with ids only, signed with `X-FreshBooks-Hmac-SHA256` =
base64(HMAC-SHA256(verifier, json.dumps(fields))) using Python's default JSON separators, as the
FreshBooks docs describe. They run on a few background threads so API responses are not delayed,
and a failed delivery is retried a few times with a short backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import secrets
import string
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from sandbox.clock import SandboxClock
from sandbox.database import Database
from sandbox.freshbooks.errors import EventsError, events_invalid, events_not_found
from sandbox.freshbooks.identity import Account
from sandbox.freshbooks.timestamps import iso_z, stored

SCHEMA = """
create table if not exists callbacks (
    callbackid integer primary key, event text not null, uri text not null,
    verifier text not null, verified integer not null default 0, updated text not null);
"""
FIRST_CALLBACK_ID = 2001
EVENT_NOUNS = frozenset(
    {
        "bill", "bill_vendor", "category", "client", "credit_note", "estimate", "expense",
        "invoice", "item", "payment", "project", "recurring", "service", "tax", "time_entry",
    }
)  # fmt: skip
EVENT_VERBS = frozenset({"create", "update", "delete"})
EXTRA_EVENTS = frozenset({"invoice.sendByEmail", "estimate.sendByEmail"})
RETRY_DELAYS = (0.5, 1.0, 2.0)  # seconds before the 2nd, 3rd and 4th attempt
DELIVERY_TIMEOUT = 10.0
DELIVERY_WORKERS = 4


def signature(verifier: str, fields: list[tuple[str, str]]) -> str:
    """The `X-FreshBooks-Hmac-SHA256` header value for a delivery of `fields`, in order."""
    message = json.dumps({key: str(value) for key, value in fields})
    digest = hmac.new(verifier.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def valid_event(event: Any) -> bool:
    if not isinstance(event, str):
        return False
    if event in EXTRA_EVENTS or event in EVENT_NOUNS:
        return True
    noun, _, verb = event.partition(".")
    return noun in EVENT_NOUNS and verb in EVENT_VERBS


def valid_uri(uri: Any) -> bool:
    if not isinstance(uri, str):
        return False
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def event_matches(subscribed: str, name: str) -> bool:
    """A callback for `invoice` gets every invoice event; `invoice.create` only that one."""
    return subscribed == name or name.startswith(f"{subscribed}.")


class Webhooks:
    def __init__(self, db: Database, account: Account, clock: SandboxClock) -> None:
        self.db = db
        self.account = account
        self.clock = clock
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=1000)
        self._queue: queue.Queue[tuple[str, list[tuple[str, str]], str]] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._workers_lock = threading.Lock()
        db.script(SCHEMA)

    def clear(self) -> None:
        self.db.execute("delete from callbacks")
        self.deliveries.clear()

    # --- callbacks -----------------------------------------------------------------------------
    @staticmethod
    def render(row: Any) -> dict[str, Any]:
        return {
            "callbackid": row["callbackid"],
            "verified": bool(row["verified"]),
            "uri": row["uri"],
            "event": row["event"],
            "updated_at": iso_z(row["updated"]),
        }

    def _row(self, callback_id: int) -> Any:
        row = self.db.one("select * from callbacks where callbackid = ?", (callback_id,))
        if row is None:
            raise events_not_found()
        return row

    def get(self, callback_id: int) -> dict[str, Any]:
        return self.render(self._row(callback_id))

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        event, uri = body.get("event"), body.get("uri")
        problems = []
        if event is None:
            problems.append("event: Field required")
        elif not valid_event(event):
            problems.append("event: Value error, Unrecognized event.")
        if uri is None:
            problems.append("uri: Field required")
        elif not valid_uri(uri):
            problems.append("uri: Input should be a valid URL, relative URL without a base")
        if problems:
            raise events_invalid(problems)
        verifier = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(33))
        with self.db.transaction() as conn:
            next_id = conn.execute(
                "select max(coalesce(max(callbackid), 0) + 1, ?) from callbacks",
                (FIRST_CALLBACK_ID,),
            ).fetchone()[0]
            conn.execute(
                "insert into callbacks (callbackid, event, uri, verifier, verified, updated)"
                " values (?, ?, ?, ?, 0, ?)",
                (next_id, event, uri, verifier, stored(self.clock.now())),
            )
        self._send_verification(next_id)
        return self.get(next_id)

    def update(self, callback_id: int, body: dict[str, Any]) -> dict[str, Any]:
        row = self._row(callback_id)
        if body.get("resend") is True:
            self._send_verification(callback_id)
        elif "verifier" in body:
            if not isinstance(body["verifier"], str) or not hmac.compare_digest(
                body["verifier"], row["verifier"]
            ):
                raise events_invalid(["verifier: Value error, Invalid verifier."])
            self.db.execute(
                "update callbacks set verified = 1, updated = ? where callbackid = ?",
                (stored(self.clock.now()), callback_id),
            )
        else:
            raise events_invalid(["callback: Value error, Expected 'verifier' or 'resend'."])
        return self.get(callback_id)

    def delete(self, callback_id: int) -> None:
        self._row(callback_id)
        self.db.execute("delete from callbacks where callbackid = ?", (callback_id,))

    def page(
        self, event: str | None, uri: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        rows = self.db.all("select * from callbacks order by callbackid")
        matched = [
            row
            for row in rows
            if (uri is None or row["uri"] == uri)
            and (
                event is None
                or event_matches(row["event"], event)
                or event_matches(event, row["event"])
            )
        ]
        return [self.render(row) for row in matched[offset : offset + limit]], len(matched)

    # --- deliveries ----------------------------------------------------------------------------
    def _send_verification(self, callback_id: int) -> None:
        row = self._row(callback_id)
        fields = [
            ("name", "callback.verify"),
            ("object_id", str(callback_id)),
            ("verifier", row["verifier"]),
            ("account_id", self.account.account_id),
        ]
        self._submit(row["uri"], fields, row["verifier"])

    def emit(self, name: str, object_id: int) -> None:
        """Queue `name` (`invoice.create`, ...) for every verified callback that wants it."""
        fields = [
            ("name", name),
            ("object_id", str(object_id)),
            ("account_id", self.account.account_id),
            ("business_id", str(self.account.business_id)),
            ("identity_id", str(self.account.identity_id)),
            ("user_id", str(self.account.user_id)),
        ]
        for row in self.db.all("select * from callbacks where verified = 1 order by callbackid"):
            if event_matches(row["event"], name):
                self._submit(row["uri"], fields, row["verifier"])

    def _submit(self, uri: str, fields: list[tuple[str, str]], verifier: str) -> None:
        with self._workers_lock:
            if not self._workers:
                # Daemon threads: a pending retry never holds up the sandbox's shutdown.
                for n in range(DELIVERY_WORKERS):
                    worker = threading.Thread(
                        target=self._work, name=f"freshbooks-webhooks-{n}", daemon=True
                    )
                    worker.start()
                    self._workers.append(worker)
        self._queue.put((uri, fields, verifier))

    def _work(self) -> None:
        while True:
            uri, fields, verifier = self._queue.get()
            try:
                self._deliver(uri, fields, verifier)
            except Exception:  # a delivery bug must not kill the worker
                self.deliveries.append({"uri": uri, "name": fields[0][1], "delivered": False})

    def _deliver(self, uri: str, fields: list[tuple[str, str]], verifier: str) -> None:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-FreshBooks-Hmac-SHA256": signature(verifier, fields),
            "User-Agent": "FreshBooks-Webhooks (sandbox)",
        }
        log: dict[str, Any] = {"uri": uri, "name": fields[0][1], "object_id": fields[1][1]}
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS), start=1):
            time.sleep(delay)
            log["attempts"] = attempt
            try:
                response = httpx.post(
                    uri, content=urlencode(fields), headers=headers, timeout=DELIVERY_TIMEOUT
                )
            except httpx.HTTPError as error:
                log.update(status=None, error=type(error).__name__)
                continue
            log.update(status=response.status_code, error=None)
            if response.is_success:
                break
        log["delivered"] = log.get("status") is not None and 200 <= log["status"] < 300
        self.deliveries.append(log)


def body_of(raw: bytes) -> dict[str, Any]:
    """The `callback` object of a request body, or the events family's error."""
    try:
        document = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise EventsError(400, 400, "Invalid JSON in request body.") from None
    if not isinstance(document, dict) or not isinstance(document.get("callback"), dict):
        raise events_invalid(["callback: Field required"])
    return document["callback"]
