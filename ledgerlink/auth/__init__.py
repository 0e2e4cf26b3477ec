"""Token handling shared by every OAuth 2.0 grant we use (FreshBooks, Infor ION)."""

from ledgerlink.auth.bearer import RefreshingBearerAuth
from ledgerlink.auth.tokens import TokenManager, TokenSet, TokenStore

__all__ = ["RefreshingBearerAuth", "TokenManager", "TokenSet", "TokenStore"]
