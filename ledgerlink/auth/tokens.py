"""Token sets, their durable store, and the manager that refreshes them.

Refresh tokens may be single use (FreshBooks rotates them on every refresh), so a new token
set is written to disk, atomically and with 0600 permissions, *before* its access token is used.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, SecretStr

from ledgerlink.log import get_logger
from ledgerlink.redaction import register_secret

log = get_logger("ledgerlink.auth")

# Refresh this long before expiry so a request never leaves with an access token about to die.
REFRESH_SKEW = timedelta(minutes=5)


class TokenSet(BaseModel):
    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: datetime
    scope: str | None = None

    def model_post_init(self, _context: object) -> None:
        register_secret(self.access_token.get_secret_value())
        if self.refresh_token:
            register_secret(self.refresh_token.get_secret_value())

    @classmethod
    def from_token_response(cls, body: dict, *, now: datetime | None = None) -> TokenSet:
        """Build from an OAuth token response (with `created_at` in epoch seconds when sent)."""
        issued = (
            datetime.fromtimestamp(int(body["created_at"]), UTC)
            if body.get("created_at")
            else now or datetime.now(UTC)
        )
        return cls(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token"),
            expires_at=issued + timedelta(seconds=int(body.get("expires_in", 3600))),
            scope=body.get("scope"),
        )

    def is_fresh(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) + REFRESH_SKEW < self.expires_at


class TokenStore:
    """One JSON file per service under `<home>/tokens/`, replaced atomically, mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> TokenSet | None:
        if not self.path.exists():
            return None
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return TokenSet(**data)

    def save(self, tokens: TokenSet) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = {
            "access_token": tokens.access_token.get_secret_value(),
            "refresh_token": tokens.refresh_token.get_secret_value()
            if tokens.refresh_token
            else None,
            "expires_at": tokens.expires_at.isoformat(),
            "scope": tokens.scope,
        }
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class TokenManager(ABC):
    """Hands out a valid access token; refreshes proactively and, once, after a 401.

    Subclasses implement the grant (`_obtain`); this class owns caching, locking and
    persisting, so every grant gets the same safety.
    """

    service = "oauth"

    def __init__(self, store: TokenStore | None = None) -> None:
        self.store = store
        self._tokens: TokenSet | None = None
        self._lock = threading.Lock()

    @abstractmethod
    def _obtain(self, current: TokenSet | None) -> TokenSet:
        """Get a new token set (refresh grant, password grant, ...) from the token endpoint."""

    def access_token(self) -> str:
        with self._lock:
            tokens = self._current()
            if tokens is None or not tokens.is_fresh():
                tokens = self._renew(tokens)
            return tokens.access_token.get_secret_value()

    def after_unauthorized(self, rejected_access_token: str) -> str:
        """A 401 came back for this token: refresh, unless another thread already did."""
        with self._lock:
            tokens = self._current()
            if (
                tokens is not None
                and tokens.access_token.get_secret_value() != rejected_access_token
            ):
                return tokens.access_token.get_secret_value()
            return self._renew(tokens).access_token.get_secret_value()

    def _current(self) -> TokenSet | None:
        if self._tokens is None and self.store is not None:
            self._tokens = self.store.load()
        return self._tokens

    def _renew(self, current: TokenSet | None) -> TokenSet:
        tokens = self._obtain(current)
        if self.store is not None:
            self.store.save(tokens)  # before first use: a rotated refresh token must never be lost
        self._tokens = tokens
        log.info(
            "token renewed", extra={"service": self.service, "expires_at": str(tokens.expires_at)}
        )
        return tokens
