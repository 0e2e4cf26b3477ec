"""Receiving FreshBooks callbacks: the verification handshake and signed event deliveries.

A delivery is form-encoded ids only (name, object_id, account_id, ...), signed with the
verifier of the callback it was sent for. It is authentic when the signature matches the
configured `FRESHBOOKS_WEBHOOK_VERIFIER` or a verifier FreshBooks confirmed (see
`verifiers.py`).

Replays. A delivery carries no event id and no timestamp, so nothing in it tells a captured
delivery sent again from a new one; the only defence is memory. The body's hash is kept for
WEBHOOKS_DEDUPE_WINDOW_SECONDS (30 days by default) and a body seen within that window is
acknowledged (200, so FreshBooks stops retrying) but never queued again. The price: a second
identical notification (same event, object and user) inside the window is dropped too; the
change it announces still arrives with the next scheduled sync, which reads what changed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading

from ledgerlink.connectors.freshbooks.webhooks import form_fields, sign_webhook
from ledgerlink.redaction import SECRET_KEYS, register_secret
from ledgerlink.settings import Settings
from ledgerlink.webhooks.handshake import CallbackConfirmer
from ledgerlink.webhooks.inbox import Inbox
from ledgerlink.webhooks.outcome import Outcome, accepted, duplicate, rejected
from ledgerlink.webhooks.verifiers import CallbackVerifiers

VERIFY_EVENT = "callback.verify"
MAX_BODY_BYTES = 16 * 1024  # a delivery is a handful of ids
VERIFIER_LENGTHS = range(16, 257)  # FreshBooks' are 33 characters; refuse silly ones outright


class FreshBooksReceiver:
    """Turns one POST to `/webhooks/freshbooks` into an `Outcome` (and maybe an inbox row)."""

    def __init__(
        self,
        settings: Settings,
        inbox: Inbox,
        verifiers: CallbackVerifiers,
        confirmer: CallbackConfirmer,
    ) -> None:
        configured = settings.freshbooks_webhook_verifier.get_secret_value()
        register_secret(configured)
        self._configured = (configured,) if configured else ()
        self.inbox = inbox
        self.verifiers = verifiers
        self.confirmer = confirmer
        self.dedupe_seconds = settings.webhooks_dedupe_window_seconds
        self._trusted: tuple[str, ...] = ()
        self._trusted_lock = threading.Lock()
        self.reload_trusted()
        confirmer.on_trusted = self.reload_trusted

    def reload_trusted(self) -> None:
        trusted = self.verifiers.trusted()
        for verifier in trusted:
            register_secret(verifier)
        with self._trusted_lock:
            self._trusted = trusted

    def handle(self, raw: bytes, signature: str | None) -> Outcome:
        try:
            fields = form_fields(raw)
        except (UnicodeDecodeError, ValueError):
            return rejected("bad_signature" if signature else "missing_signature")
        form = dict(fields)
        if form.get("name") == VERIFY_EVENT:
            return self._handshake(form)
        if not signature:
            return rejected("missing_signature")
        if not self._authentic(fields, signature):
            return rejected("bad_signature")
        if not form.get("name") or not form.get("object_id"):
            return rejected("missing_fields", 400)
        # The form has no secret in a delivery, but never store anything under a secret's name.
        payload = {k: v for k, v in form.items() if k.lower() not in SECRET_KEYS}
        appended = self.inbox.append(
            "freshbooks",
            form["name"],
            hashlib.sha256(raw).hexdigest(),
            json.dumps(payload),
            keep_for=self.dedupe_seconds,
            object_id=form["object_id"],
            account_id=form.get("account_id"),
        )
        return accepted(form["name"]) if appended else duplicate(form["name"])

    def _authentic(self, fields: list[tuple[str, str]], signature: str) -> bool:
        if self._matches(self._configured, fields, signature):
            return True
        with self._trusted_lock:
            trusted = self._trusted
        if self._matches(trusted, fields, signature):
            return True
        # Another receiver process may have confirmed a callback since we last looked.
        self.reload_trusted()
        with self._trusted_lock:
            fresh = self._trusted
        return fresh != trusted and self._matches(fresh, fields, signature)

    @staticmethod
    def _matches(verifiers: tuple[str, ...], fields: list[tuple[str, str]], signature: str) -> bool:
        given = signature.strip().encode("utf-8", "replace")
        return any(
            hmac.compare_digest(sign_webhook(verifier, fields).encode(), given)
            for verifier in verifiers
        )

    def _handshake(self, form: dict[str, str]) -> Outcome:
        verifier, raw_id = form.get("verifier", ""), form.get("object_id", "")
        if len(verifier) not in VERIFIER_LENGTHS or not raw_id.isdigit() or len(raw_id) > 18:
            return rejected("bad_verification", 400)
        register_secret(verifier)
        callback_id, account_id = int(raw_id), form.get("account_id", "")
        fresh = self.verifiers.add_pending(callback_id, verifier, account_id)
        if fresh and self.confirmer.submit(callback_id, verifier, account_id) is None:
            self.verifiers.discard(callback_id, verifier)
            return rejected("busy", 503)
        return Outcome(200, "handshake", "verification_pending")
