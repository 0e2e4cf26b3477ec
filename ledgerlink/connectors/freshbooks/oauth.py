"""FreshBooks OAuth 2.0: the authorization-code grant and single-use rotating refresh tokens.

A person signs in on FreshBooks' page, which sends the browser to the app's redirect URI with a
code that lasts 5 minutes. FreshBooks only registers `https://` redirect URIs, which no listener
here can receive, so the person pastes back the address the browser was sent to; a plain-http
loopback URI (the sandbox, compatible servers) can be received by a local listener instead.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ledgerlink.auth import TokenManager, TokenSet, TokenStore
from ledgerlink.auth.redirect import loopback_address
from ledgerlink.auth.tokens import TokenFileUnreadable
from ledgerlink.connectors.freshbooks.errors import parse_json
from ledgerlink.errors import AuthError, ConfigurationError, ReauthorizationRequired
from ledgerlink.http import build_client, send
from ledgerlink.redaction import register_secret
from ledgerlink.settings import Settings

SERVICE = "freshbooks"
AUTH_COMMAND = "ledgerlink auth freshbooks"
TOKEN_PATH = "/auth/oauth/token"
CODE_LIFETIME_SECONDS = 300  # FreshBooks authorization codes last 5 minutes
RETRY = f"run `{AUTH_COMMAND}` again"
# What a pasted code may look like (RFC 6749 leaves the alphabet open; real codes are url-safe).
_BARE_CODE = re.compile(r"[A-Za-z0-9._~-]{8,512}")


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
        self._http = build_client(
            f"{SERVICE}-oauth",
            settings.freshbooks_api_url,
            settings,
            url_setting="FRESHBOOKS_API_URL",
        )

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
        if response.status_code < 400 and "access_token" in payload:
            return TokenSet.from_token_response(payload)
        error = payload.get("error", "error") if isinstance(payload, dict) else "error"
        description = payload.get("error_description", "") if isinstance(payload, dict) else ""
        if error == "invalid_client":
            raise ConfigurationError(
                "FreshBooks does not accept FRESHBOOKS_CLIENT_ID with FRESHBOOKS_CLIENT_SECRET "
                "(invalid_client): copy both again from your app's page in FreshBooks' developer "
                "settings"
            )
        if error in ("invalid_grant", "unauthorized_client", "invalid_token"):
            if form["grant_type"] == "authorization_code":
                raise CodeRefused(
                    f"{SERVICE}: FreshBooks refused the authorization code ({error}): it expired "
                    f"(codes last {CODE_LIFETIME_SECONDS // 60} minutes) or was used already; "
                    f"{RETRY} and paste the address within {CODE_LIFETIME_SECONDS // 60} minutes "
                    "of approving"
                )
            raise ReauthorizationRequired(
                SERVICE,
                f"FreshBooks refused the grant ({error}: {description}); a refresh token works "
                "once, so it was used already, revoked, or lost",
                AUTH_COMMAND,
            )
        raise AuthError(
            f"{SERVICE}: {what} failed (HTTP {response.status_code}, {error}: {description})"
        )

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

    def _unreadable(self, error: TokenFileUnreadable) -> TokenSet | None:
        # The refresh token in it is lost: only a person can grant access again.
        raise ReauthorizationRequired(
            SERVICE, f"the token file {error.path} {error.problem}", AUTH_COMMAND
        ) from None

    def _obtain(self, current: TokenSet | None) -> TokenSet:
        if current is None or current.refresh_token is None:
            where = ""
            if self.store is not None:
                file = self.store.path
                where = f" (no refresh token in {file})" if file.exists() else f" (no {file})"
            raise ReauthorizationRequired(
                SERVICE, f"no stored FreshBooks authorization{where}", AUTH_COMMAND
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


class CodeRefused(AuthError):
    """The token endpoint refused an authorization code (expired, used, or another redirect)."""


class ReceiveMode(StrEnum):
    """How the browser's redirect, carrying the code, gets back to us."""

    LISTEN = "listen"  # a local listener receives it (plain-http loopback redirect URI)
    PASTE = "paste"  # the person pastes the address the browser was sent to


def receive_mode(settings: Settings, forced: ReceiveMode | None = None) -> tuple[ReceiveMode, str]:
    """The mode for FRESHBOOKS_REDIRECT_URI (or the one forced), and why, in a few words."""
    uri = _redirect_uri(settings)
    address = loopback_address(uri)
    if forced is ReceiveMode.PASTE:
        return forced, "asked for with --paste"
    if address is not None:
        host, port = address
        return ReceiveMode.LISTEN, f"a listener on {host}:{port} receives the browser's redirect"
    if forced is ReceiveMode.LISTEN:
        raise ConfigurationError(
            "--listen needs FRESHBOOKS_REDIRECT_URI to be http://127.0.0.1:<port>/... or "
            f"http://localhost:<port>/... (it is {uri}); set one and register it with the app, "
            "or leave out --listen to paste the redirect"
        )
    if urlsplit(uri).scheme == "https":
        return ReceiveMode.PASTE, "a local listener cannot receive an https redirect"
    host = urlsplit(uri).hostname
    return ReceiveMode.PASTE, f"{host} is not a loopback address a local listener can use"


def _redirect_uri(settings: Settings) -> str:
    uri = settings.freshbooks_redirect_uri
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"FRESHBOOKS_REDIRECT_URI is {uri!r}: set it to your FreshBooks app's redirect URI, "
            "e.g. https://localhost/ledgerlink/oauth/callback"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"FRESHBOOKS_REDIRECT_URI is {uri}: FreshBooks refuses a redirect URI with a query "
            "string or fragment; remove it there and in the app (ledgerlink sends `state`)"
        )
    return uri


@dataclass
class Authorization:
    """One sign-in: the page to open, the `state` to expect back, and when the page was shown."""

    url: str
    state: str
    redirect_uri: str
    shown_at: float = field(default_factory=time.monotonic)

    @classmethod
    def begin(cls, settings: Settings) -> Authorization:
        redirect_uri = _redirect_uri(settings)
        url, state = authorization_url(settings)
        return cls(url=url, state=state, redirect_uri=redirect_uri)

    def code_from(self, answer: str) -> str:
        """The code in the address the browser was sent to (or a bare code), state checked.

        A bare code carries no state to check: it is accepted as the person's own.
        """
        text = answer.strip().strip("<>\"'").strip()
        if not text:
            raise AuthError(
                f"{SERVICE}: nothing was pasted; {RETRY} and paste the address your browser "
                "was sent to after approving (or the code in it)"
            )
        if "?" in text:
            query = text.partition("?")[2]
        elif "=" in text and "://" not in text:
            query = text  # only the query part was copied
        elif _BARE_CODE.fullmatch(text):
            register_secret(text)
            return text
        else:
            raise AuthError(
                f"{SERVICE}: the pasted text is neither the address the browser was sent to nor "
                f"a code; {RETRY} and paste the whole address from the browser's address bar (it "
                f"starts with {self.redirect_uri}?)"
            )
        params = {k: v[0] for k, v in parse_qs(query.partition("#")[0]).items()}
        register_secret(params.get("code"))
        if "response_type" in params or "client_id" in params:
            raise AuthError(
                f"{SERVICE}: that is the sign-in page's own address; open it, approve, and paste "
                "the address the browser is sent to afterwards"
            )
        if not secrets.compare_digest(params.get("state", "").encode(), self.state.encode()):
            raise AuthError(
                f"{SERVICE}: authorization state mismatch: the redirect belongs to another "
                f"sign-in; {RETRY} and approve on the page it prints"
            )
        if params.get("error") == "access_denied":
            raise AuthError(
                f"{SERVICE}: access was denied on FreshBooks' page (error=access_denied); "
                f"{RETRY} and choose to allow ledgerlink"
            )
        if "error" in params:
            detail = params.get("error_description", "").replace("\n", " ")[:200]
            raise AuthError(
                f"{SERVICE}: FreshBooks answered error={params['error']} ({detail}); check the "
                f"app's settings in FreshBooks, then {RETRY}"
            )
        if not params.get("code"):
            raise AuthError(
                f"{SERVICE}: the address has no code in it; {RETRY} and paste the whole address "
                f"from the browser's address bar (it starts with {self.redirect_uri}?)"
            )
        return params["code"]

    def finish(self, manager: FreshBooksTokenManager, code: str) -> TokenSet:
        """Exchange the code for tokens and store them; say so when it most likely expired."""
        try:
            return manager.exchange_code(code)
        except CodeRefused:
            minutes = (time.monotonic() - self.shown_at) / 60
            if minutes * 60 <= CODE_LIFETIME_SECONDS:
                raise
            raise CodeRefused(
                f"{SERVICE}: FreshBooks refused the authorization code: it most likely expired "
                f"(codes last {CODE_LIFETIME_SECONDS // 60} minutes after approving, and this one "
                f"came {minutes:.0f} minutes after the sign-in page was shown); {RETRY} and paste "
                "the address right after approving"
            ) from None


def authorize_headless(settings: Settings, manager: FreshBooksTokenManager) -> TokenSet:
    """Complete the grant without a browser: follow the authorize redirect and read the code.

    Works where the authorize page approves by itself (the sandbox); a real FreshBooks account
    needs a person, through `ledgerlink auth freshbooks` in a browser.
    """
    authorization = Authorization.begin(settings)
    with httpx.Client(follow_redirects=False, timeout=settings.http_timeout_seconds) as http:
        response = http.get(authorization.url)
    location = response.headers.get("location", "")
    if response.status_code not in (301, 302, 303, 307) or "code" not in httpx.URL(location).params:
        raise AuthError(
            f"{SERVICE}: the authorize page did not approve by itself "
            f"(HTTP {response.status_code}); run `{AUTH_COMMAND}` and approve in a browser"
        )
    return authorization.finish(manager, authorization.code_from(location))
