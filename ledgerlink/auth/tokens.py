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

from pydantic import BaseModel, SecretStr, ValidationError

from ledgerlink.auth.files import private_folder
from ledgerlink.errors import ConfigurationError
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


class TokenFileUnreadable(ConfigurationError):
    """A token file exists but holds no token set (emptied, edited, or cut short by a full
    disk); `problem` says how, in words that complete "the token file <path> ..."."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"the token file {path} {problem}; delete it and authorize again")


class TokenStore:
    """One JSON file per service under `<home>/tokens/`, replaced atomically, mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> TokenSet | None:
        """The stored token set, None when there is no file, `TokenFileUnreadable` when the
        file holds something else."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise TokenFileUnreadable(self.path, "is a folder, not a file") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise TokenFileUnreadable(self.path, f"cannot be read ({reason})") from None
        if not text.strip():
            raise TokenFileUnreadable(self.path, "is empty")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TokenFileUnreadable(self.path, f"is not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise TokenFileUnreadable(self.path, "is not a JSON object")
        try:
            return TokenSet(**data)
        except ValidationError as exc:
            raise TokenFileUnreadable(self.path, f"is not a token set ({_fields(exc)})") from None

    def save(self, tokens: TokenSet) -> None:
        private_folder(self.path.parent)
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


def _fields(error: ValidationError) -> str:
    """Which keys a token file lacks or holds wrongly, without echoing any value."""
    missing = [str(e["loc"][0]) for e in error.errors() if e["type"] == "missing" and e["loc"]]
    wrong = [str(e["loc"][0]) for e in error.errors() if e["type"] != "missing" and e["loc"]]
    parts = [f"missing {', '.join(missing)}"] if missing else []
    parts += [f"invalid {', '.join(dict.fromkeys(wrong))}"] if wrong else []
    return "; ".join(parts) or "unexpected content"


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

    def renew(self, *, from_scratch: bool = False) -> TokenSet:
        """Ask the token endpoint now, even if the stored token is still fresh (to check the
        credentials); `from_scratch` ignores the stored token set, as if there were none."""
        with self._lock:
            return self._renew(None if from_scratch else self._current())

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
            try:
                self._tokens = self.store.load()
            except TokenFileUnreadable as unreadable:
                self._tokens = self._unreadable(unreadable)
        return self._tokens

    def _unreadable(self, error: TokenFileUnreadable) -> TokenSet | None:
        """What an unreadable token file means for this grant: by default a person must
        authorize again; a grant that needs no person may answer None and start afresh."""
        raise error

    def _renew(self, current: TokenSet | None) -> TokenSet:
        tokens = self._obtain(current)
        if self.store is not None:
            self.store.save(tokens)  # before first use: a rotated refresh token must never be lost
        self._tokens = tokens
        # Routine (ION every ~2 h, FreshBooks every 12 h): not worth a line on a user's terminal.
        log.debug(
            "token renewed", extra={"service": self.service, "expires_at": str(tokens.expires_at)}
        )
        return tokens
