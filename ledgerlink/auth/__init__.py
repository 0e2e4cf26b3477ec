"""Token handling shared by every OAuth 2.0 grant we use (FreshBooks, Infor ION).

The names below load on first use: `ledgerlink.auth.files` (private files) is imported by every
command, most of which never touch a token, and the token classes bring httpx and pydantic."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledgerlink.auth.bearer import RefreshingBearerAuth
    from ledgerlink.auth.tokens import TokenManager, TokenSet, TokenStore

_HOMES = {
    "RefreshingBearerAuth": "ledgerlink.auth.bearer",
    "TokenManager": "ledgerlink.auth.tokens",
    "TokenSet": "ledgerlink.auth.tokens",
    "TokenStore": "ledgerlink.auth.tokens",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RefreshingBearerAuth", "TokenManager", "TokenSet", "TokenStore"]
