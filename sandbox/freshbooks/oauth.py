"""OAuth 2.0 authorization-code grant: codes, expiring access tokens, single-use refresh tokens.

Behaviour follows the reference and, where it is silent, Doorkeeper (the Rails OAuth server whose
`created_at` epoch-seconds token body FreshBooks returns): a refresh token works once and using it
revokes the access token it came with; errors are `{"error", "error_description"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from urllib.parse import urlencode, urlsplit

from sandbox.clock import SandboxClock
from sandbox.database import Database
from sandbox.freshbooks.errors import OAuthError
from sandbox.freshbooks.identity import DEFAULT_SCOPES, Account

ACCESS_TOKEN_LIFETIME = 43_200  # 12 hours, as documented
CODE_LIFETIME = 300  # authorization codes expire after 5 minutes

SCHEMA = """
create table if not exists oauth_codes (
    code text primary key, redirect_uri text not null, scope text not null,
    expires_at real not null, used integer not null default 0);
create table if not exists oauth_tokens (
    access_token text primary key, refresh_token text not null unique, scope text not null,
    created_at integer not null, expires_at real not null,
    revoked integer not null default 0, refresh_used integer not null default 0);
"""

INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)
INVALID_REQUEST = (
    "The request is missing a required parameter, includes an unsupported parameter value, "
    "or is otherwise malformed."
)
UNSUPPORTED_GRANT = "The authorization grant type is not supported by the authorization server."


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class OAuth:
    """Token state lives in SQLite (it survives restarts and data resets, as real grants do)."""

    def __init__(self, db: Database, account: Account, clock: SandboxClock) -> None:
        self.db = db
        self.account = account
        self.clock = clock
        self.lifetime = ACCESS_TOKEN_LIFETIME
        self._lock = threading.Lock()
        db.script(SCHEMA)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    # --- controls ----------------------------------------------------------------------------
    def reset_controls(self) -> None:
        self.lifetime = ACCESS_TOKEN_LIFETIME

    def set_lifetime(self, seconds: int) -> None:
        self.lifetime = max(1, int(seconds))

    def expire_all(self) -> int:
        cursor = self.db.execute(
            "update oauth_tokens set expires_at = ? where expires_at > ?",
            (self._now() - 1, self._now()),
        )
        return cursor.rowcount

    def revoke_refresh_tokens(self) -> int:
        return self.db.execute(
            "update oauth_tokens set refresh_used = 1 where refresh_used = 0"
        ).rowcount

    # --- authorize ---------------------------------------------------------------------------
    def authorize(self, params: dict[str, str]) -> str:
        """The redirect target for an (auto-approved) authorization request."""
        if params.get("client_id") != self.account.client_id:
            raise OAuthError(400, "invalid_client", INVALID_CLIENT)
        redirect_uri = params.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OAuthError(400, "invalid_request", "The redirect_uri is missing or invalid.")
        reply: dict[str, str] = {}
        if params.get("response_type") != "code":
            reply["error"] = "unsupported_response_type"
            reply["error_description"] = (
                "The authorization server does not support this response type."
            )
        else:
            code = secrets.token_hex(32)
            scope = params.get("scope") or DEFAULT_SCOPES
            self.db.execute(
                "insert into oauth_codes (code, redirect_uri, scope, expires_at)"
                " values (?, ?, ?, ?)",
                (code, redirect_uri, scope, self._now() + CODE_LIFETIME),
            )
            reply["code"] = code
        if params.get("state"):
            reply["state"] = params["state"]
        separator = "&" if parts.query else "?"
        return f"{redirect_uri}{separator}{urlencode(reply)}"

    # --- token -------------------------------------------------------------------------------
    def token(self, form: dict[str, str], basic_auth: tuple[str, str] | None = None) -> dict:
        client_id, client_secret = basic_auth or (form.get("client_id"), form.get("client_secret"))
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", INVALID_REQUEST)
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError(400, "unsupported_grant_type", UNSUPPORTED_GRANT)
        if client_id != self.account.client_id or not hmac.compare_digest(
            str(client_secret or ""), self.account.client_secret
        ):
            raise OAuthError(401, "invalid_client", INVALID_CLIENT)
        with self._lock:
            if grant_type == "authorization_code":
                scope = self._redeem_code(form.get("code"), form.get("redirect_uri"))
            else:
                scope = self._redeem_refresh_token(form.get("refresh_token"))
            return self._issue(scope)

    def _redeem_code(self, code: str | None, redirect_uri: str | None) -> str:
        if not code:
            raise OAuthError(400, "invalid_request", INVALID_REQUEST)
        row = self.db.one("select * from oauth_codes where code = ?", (code,))
        if row is None or row["used"] or row["expires_at"] <= self._now():
            raise OAuthError(400, "invalid_grant", INVALID_GRANT)
        if redirect_uri != row["redirect_uri"]:
            raise OAuthError(400, "invalid_grant", INVALID_GRANT)
        self.db.execute("update oauth_codes set used = 1 where code = ?", (code,))
        return row["scope"]

    def _redeem_refresh_token(self, refresh_token: str | None) -> str:
        if not refresh_token:
            raise OAuthError(400, "invalid_request", INVALID_REQUEST)
        row = self.db.one("select * from oauth_tokens where refresh_token = ?", (refresh_token,))
        if row is None or row["refresh_used"]:
            raise OAuthError(400, "invalid_grant", INVALID_GRANT)
        # Single use: the refresh token and the access token issued with it both stop working.
        self.db.execute(
            "update oauth_tokens set refresh_used = 1, revoked = 1 where refresh_token = ?",
            (refresh_token,),
        )
        return row["scope"]

    def issue(self, scope: str | None = None) -> dict:
        """A fresh token pair (also the `/_sandbox/tokens/issue` shortcut for tests)."""
        with self._lock:
            return self._issue(scope or DEFAULT_SCOPES)

    def _issue(self, scope: str) -> dict:
        created = int(self._now())
        access, refresh = secrets.token_hex(32), secrets.token_hex(32)
        self.db.execute(
            "insert into oauth_tokens (access_token, refresh_token, scope, created_at, expires_at)"
            " values (?, ?, ?, ?, ?)",
            (access, refresh, scope, created, created + self.lifetime),
        )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "scope": scope,
            "created_at": created,
            "id_token": self._id_token(created),
        }

    def _id_token(self, issued_at: int) -> str:
        """An HS256 JWT about the identity, signed with the client secret."""
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {
            "iss": "https://auth.freshbooks.com",
            "sub": str(self.account.identity_id),
            "aud": self.account.client_id,
            "iat": issued_at,
            "exp": issued_at + self.lifetime,
        }
        payload = _b64url(json.dumps(claims).encode())
        signature = hmac.new(
            self.account.client_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256
        ).digest()
        return f"{header}.{payload}.{_b64url(signature)}"

    # --- resource servers --------------------------------------------------------------------
    def valid(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header carries a live access token."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return False
        row = self.db.one(
            "select expires_at, revoked from oauth_tokens where access_token = ?",
            (authorization[7:].strip(),),
        )
        return row is not None and not row["revoked"] and row["expires_at"] > self._now()
