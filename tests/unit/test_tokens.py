"""Token sets persist atomically with 0600 permissions; a failed write keeps the old file."""

import os
import stat
from datetime import UTC, datetime, timedelta

import pytest

from ledgerlink.auth import TokenManager, TokenSet, TokenStore


def _tokens(access: str, refresh: str, minutes: int = 60) -> TokenSet:
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=datetime.now(UTC) + timedelta(minutes=minutes),
    )


def test_store_round_trip_is_private(tmp_path):
    store = TokenStore(tmp_path / "tokens" / "svc.json")
    store.save(_tokens("a1", "r1"))
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    loaded = store.load()
    assert loaded.access_token.get_secret_value() == "a1"
    assert loaded.refresh_token.get_secret_value() == "r1"


def test_failed_write_leaves_the_previous_tokens(tmp_path, monkeypatch):
    store = TokenStore(tmp_path / "svc.json")
    store.save(_tokens("a1", "r1"))

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.save(_tokens("a2", "r2"))
    assert store.load().refresh_token.get_secret_value() == "r1"
    assert [p.name for p in tmp_path.iterdir()] == ["svc.json"]  # no temp file left behind


def test_from_token_response_uses_created_at():
    body = {"access_token": "x", "refresh_token": "y", "expires_in": 100, "created_at": 1287273500}
    tokens = TokenSet.from_token_response(body)
    assert tokens.expires_at == datetime.fromtimestamp(1287273600, UTC)


class CountingManager(TokenManager):
    def __init__(self, store):
        super().__init__(store)
        self.grants = 0

    def _obtain(self, current):
        self.grants += 1
        return _tokens(f"access-{self.grants}", f"refresh-{self.grants}")


def test_manager_persists_before_use_and_refreshes_near_expiry(tmp_path):
    store = TokenStore(tmp_path / "svc.json")
    store.save(_tokens("old", "old-refresh", minutes=1))  # inside the refresh skew
    manager = CountingManager(store)
    assert manager.access_token() == "access-1"
    assert store.load().access_token.get_secret_value() == "access-1"
    assert manager.access_token() == "access-1"  # fresh: no second grant
    assert manager.grants == 1


def test_one_refresh_for_concurrent_401s(tmp_path):
    manager = CountingManager(TokenStore(tmp_path / "svc.json"))
    first = manager.access_token()
    assert manager.after_unauthorized(first) == "access-2"
    # A second caller rejected with the same old token must not trigger another refresh.
    assert manager.after_unauthorized(first) == "access-2"
    assert manager.grants == 2
