"""FreshBooks OAuth 2.0: the authorization-code grant and single-use rotating refresh tokens."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import httpx

from ledgerlink.auth import TokenManager, TokenSet, TokenStore
from ledgerlink.connectors.freshbooks.errors import parse_json
from ledgerlink.errors import AuthError, ConfigurationError, ReauthorizationRequired
from ledgerlink.http import build_client, send
from ledgerlink.redaction import register_secret
from ledgerlink.settings import Settings

SERVICE = "freshbooks"
AUTH_COMMAND = "ledgerlink auth freshbooks"
TOKEN_PATH = "/auth/oauth/token"


def authorization_url(settings: Settings, state: str | None = None) -> tuple[str, str]:
    """The page a person opens to grant access, and the `state` to check on the way back."""
    _require_app(settings)
    state = state or secrets.token_urlsafe(16)
    query = urlencode(
        {
            "client_id": settings.freshbooks_client_id,
            "response_type": "code",
            "redirect_uri": settings.freshbooks_redirect_uri,
            "state": state,
        }
    )
    return f"{settings.freshbooks_auth_url.rstrip('/')}/oauth/authorize?{query}", state


def _require_app(settings: Settings) -> None:
    if (
        not settings.freshbooks_client_id
        or not settings.freshbooks_client_secret.get_secret_value()
    ):
        raise ConfigurationError(
            "FRESHBOOKS_CLIENT_ID and FRESHBOOKS_CLIENT_SECRET are not set: add your FreshBooks "
            "app's credentials to .env (or start the sandbox with `ledgerlink sandbox up`)"
        )


class FreshBooksTokenManager(TokenManager):
    """Refreshes with the stored refresh token; each refresh token works exactly once."""

    service = SERVICE

    def __init__(self, settings: Settings, store: TokenStore | None = None) -> None:
        super().__init__(store or TokenStore(settings.token_dir / "freshbooks.json"))
        self.settings = settings
        register_secret(settings.freshbooks_client_secret.get_secret_value())
        self._http = build_client(f"{SERVICE}-oauth", settings.freshbooks_api_url, settings)

    def _token_request(self, form: dict[str, str], what: str) -> TokenSet:
        _require_app(self.settings)
        body = {
            "client_id": self.settings.freshbooks_client_id,
            "client_secret": self.settings.freshbooks_client_secret.get_secret_value(),
            "redirect_uri": self.settings.freshbooks_redirect_uri,
            **form,
        }
        request = self._http.build_request("POST", TOKEN_PATH, data=body)
        response = send(self._http, request, service=SERVICE, what=what)
        payload = parse_json(response, what)
        if response.status_code >= 400 or "access_token" not in payload:
            error = payload.get("error", "error") if isinstance(payload, dict) else "error"
            description = payload.get("error_description", "") if isinstance(payload, dict) else ""
            if error in ("invalid_grant", "unauthorized_client", "invalid_token"):
                raise ReauthorizationRequired(
                    SERVICE,
                    f"FreshBooks refused the grant ({error}: {description}); a refresh token works "
                    "once, so it was used already, revoked, or lost",
                    AUTH_COMMAND,
                )
            raise AuthError(
                f"{SERVICE}: {what} failed (HTTP {response.status_code}, {error}: {description})"
            )
        return TokenSet.from_token_response(payload)

    def exchange_code(self, code: str) -> TokenSet:
        """Finish the authorization-code grant and persist the first token set."""
        register_secret(code)
        tokens = self._token_request(
            {"grant_type": "authorization_code", "code": code}, "authorization code exchange"
        )
        with self._lock:
            self.store.save(tokens)
            self._tokens = tokens
        return tokens

    def _obtain(self, current: TokenSet | None) -> TokenSet:
        if current is None or current.refresh_token is None:
            raise ReauthorizationRequired(
                SERVICE, "no stored FreshBooks authorization", AUTH_COMMAND
            )
        return self._token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": current.refresh_token.get_secret_value(),
            },
            "token refresh",
        )

    def close(self) -> None:
        self._http.close()


def authorize_headless(settings: Settings, manager: FreshBooksTokenManager) -> TokenSet:
    """Complete the grant without a browser: follow the authorize redirect and read the code.

    Works where the authorize page approves by itself (the sandbox); a real FreshBooks account
    needs a person, through `ledgerlink auth freshbooks` in a browser.
    """
    url, state = authorization_url(settings)
    with httpx.Client(follow_redirects=False, timeout=settings.http_timeout_seconds) as http:
        response = http.get(url)
    location = response.headers.get("location", "")
    query = httpx.URL(location).params if location else httpx.QueryParams()
    if response.status_code not in (301, 302, 303, 307) or "code" not in query:
        raise AuthError(
            f"{SERVICE}: the authorize page did not approve by itself "
            f"(HTTP {response.status_code}); run `{AUTH_COMMAND}` and approve in a browser"
        )
    if query.get("state") != state:
        raise AuthError(f"{SERVICE}: authorization state mismatch; run `{AUTH_COMMAND}` again")
    return manager.exchange_code(query["code"])
