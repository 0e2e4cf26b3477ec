"""Finishing FreshBooks' callback handshake off the request path.

On `callback.verify` the receiver stores the announced verifier as pending and acks at once;
this worker then PUTs it back to FreshBooks. Only FreshBooks knows the real verifier, so its
acceptance is what makes the verifier trusted. One worker thread, so a flood of planted
announcements costs at most one FreshBooks call at a time and never delays an ack.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from ledgerlink.connectors.freshbooks.client import FreshBooksClient
from ledgerlink.errors import LedgerlinkError
from ledgerlink.log import get_logger
from ledgerlink.settings import Settings
from ledgerlink.webhooks.verifiers import CallbackVerifiers

log = get_logger(__name__)
MAX_QUEUED = 100  # announcements beyond this are refused (FreshBooks resends; planted ones die)


class CallbackConfirmer:
    """Confirms pending verifiers with FreshBooks, one at a time, in a background thread."""

    def __init__(self, settings: Settings, verifiers: CallbackVerifiers) -> None:
        self.settings = settings
        self.verifiers = verifiers
        self._client: FreshBooksClient | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fb-handshake")
        self._queued = 0
        self._lock = threading.Lock()
        # Set by the receiver so it re-reads the trusted verifiers the moment one is added.
        self.on_trusted: Callable[[], None] = lambda: None

    def submit(self, callback_id: int, verifier: str, account_id: str) -> Future[bool] | None:
        """Queue a confirmation; None when too many are queued already (the caller says 503)."""
        with self._lock:
            if self._queued >= MAX_QUEUED:
                return None
            self._queued += 1
        return self._executor.submit(self._run, callback_id, verifier, account_id)

    def resume(self) -> None:
        """Queue the verifiers a previous run stored but never confirmed."""
        for callback_id, verifier, account_id in self.verifiers.pending():
            self.submit(callback_id, verifier, account_id)

    def _run(self, callback_id: int, verifier: str, account_id: str) -> bool:
        try:
            return self.confirm(callback_id, verifier, account_id)
        except Exception as exc:  # a bug here must not leave the verifier half-handled, unlogged
            self.verifiers.discard(callback_id, verifier)
            log.warning(
                "callback verification failed",
                extra={"callback_id": callback_id, "error": type(exc).__name__},
            )
            return False
        finally:
            with self._lock:
                self._queued -= 1

    def confirm(self, callback_id: int, verifier: str, account_id: str) -> bool:
        """Ask FreshBooks whether `verifier` is the callback's; trust it only if it says yes."""
        fields = {"callback_id": callback_id, "account_id": account_id}
        try:
            client = self._client_once()
            if account_id != client.account_id:
                log.warning("callback verification for another account ignored", extra=fields)
                self.verifiers.discard(callback_id, verifier)
                return False
            callback = client.verify_callback(callback_id, verifier)
        except LedgerlinkError as exc:
            # Refused (a planted or stale verifier) or unreachable: either way, not trusted.
            self.verifiers.discard(callback_id, verifier)
            log.warning("callback verification not confirmed", extra={**fields, "error": str(exc)})
            return False
        if not callback.verified or not self.verifiers.trust(callback_id, verifier):
            self.verifiers.discard(callback_id, verifier)
            log.warning("callback verification not confirmed", extra=fields)
            return False
        log.info("callback verified", extra={**fields, "callback_event": callback.event})
        self.on_trusted()
        return True

    def _client_once(self) -> FreshBooksClient:
        if self._client is None:
            self._client = FreshBooksClient.from_settings(self.settings)
        return self._client

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._client is not None:
            self._client.close()
            self._client = None
