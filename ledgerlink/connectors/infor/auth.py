"""ION API Gateway tokens: the OAuth 2.0 password grant with the `.ionapi` service-account keys."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from ledgerlink.auth import TokenManager, TokenSet, TokenStore
from ledgerlink.auth.tokens import TokenFileUnreadable
from ledgerlink.connectors.infor.errors import SERVICE
from ledgerlink.connectors.infor.ionapi import WHERE_TO_GET_IT, IonApiCredentials
from ledgerlink.errors import (
    ApiError,
    AuthError,
    ConfigurationError,
    MalformedResponse,
    ReauthorizationRequired,
)
from ledgerlink.http import mark_idempotent, send
from ledgerlink.log import get_logger

log = get_logger("ledgerlink.connectors.infor.auth")

# ION's default lifetime when a token response leaves `expires_in` out.
DEFAULT_EXPIRES_IN = 7200
# Statuses with which an OAuth server refuses a grant (RFC 6749 §5.2 says 400; some send 401).
REFUSED_STATUSES = frozenset({400, 401, 403})


class ServiceAccountRejected(ReauthorizationRequired):
    """The token endpoint refused the `.ionapi` service account or client: only a new file helps."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        # OAuth names the half that is wrong: the app (ci/cs) or the service account (saak/sask).
        which = (
            "the app's client id and secret ('ci', 'cs')"
            if "invalid_client" in reason
            else "the service account keys ('saak', 'sask')"
        )
        # Not the parent's sentence: there is no command to run, the operator needs new credentials.
        AuthError.__init__(
            self,
            f"{SERVICE}: the ION token endpoint rejected {which} of the .ionapi file "
            f"({reason}); {WHERE_TO_GET_IT}",
        )
        self.service = SERVICE
        self.command = "replace the .ionapi file"


def token_store_for(credentials: IonApiCredentials, token_dir: Path) -> TokenStore:
    """One cache file per tenant, client and service account, so a new `.ionapi` file (new
    keys too) never reuses an old token and wrong keys show at once, not when it expires."""
    keys = (credentials.cs, credentials.saak, credentials.sask)
    account = "|".join((credentials.pu, credentials.ci, *(k.get_secret_value() for k in keys)))
    digest = hashlib.sha256(account.encode()).hexdigest()[:12]
    return TokenStore(token_dir / f"infor-{credentials.ti}-{digest}.json")


class IonTokenManager(TokenManager):
    """Password grant for a fresh token, refresh grant when ION issued a refresh token.

    The base class caches the token until shortly before expiry (~2 h on ION), persists it when
    given a store, and renews once after a 401.
    """

    service = SERVICE

    def __init__(
        self,
        credentials: IonApiCredentials,
        http: httpx.Client,
        store: TokenStore | None = None,
    ) -> None:
        super().__init__(store)
        self.credentials = credentials
        self.http = http

    def _unreadable(self, error: TokenFileUnreadable) -> TokenSet | None:
        # Only a cache: the service account gets a new token, which replaces the file.
        log.warning(
            "ION token cache unreadable, asking ION for a new token",
            extra={"file": str(error.path), "problem": error.problem},
        )
        return None

    def _obtain(self, current: TokenSet | None) -> TokenSet:
        if current is not None and current.refresh_token is not None:
            try:
                return self._grant(
                    {
                        "grant_type": "refresh_token",
                        "refresh_token": current.refresh_token.get_secret_value(),
                    }
                )
            except _GrantRefused as refused:
                # An expired or revoked refresh token is routine: the service account still works.
                log.info(
                    "ION refresh token refused, using the password grant",
                    extra={"reason": refused.reason},
                )
        try:
            return self._grant(
                {
                    "grant_type": "password",
                    "username": self.credentials.saak.get_secret_value(),
                    "password": self.credentials.sask.get_secret_value(),
                }
            )
        except _GrantRefused as refused:
            raise ServiceAccountRejected(refused.reason) from None

    def _grant(self, form: dict[str, str]) -> TokenSet:
        body = {
            **form,
            "client_id": self.credentials.ci,
            "client_secret": self.credentials.cs.get_secret_value(),
        }
        request = self.http.build_request(
            "POST", self.credentials.token_url, data=body, headers={"Accept": "application/json"}
        )
        # A repeated grant only issues another token, and a refused refresh falls back to the
        # password grant, so the policy may retry this POST on 5xx and dropped connections.
        mark_idempotent(request, True)
        response = send(self.http, request, service=SERVICE, what=f"ION {form['grant_type']} grant")
        if response.status_code in REFUSED_STATUSES:
            raise _GrantRefused(_oauth_reason(response))
        if response.status_code in (404, 405):
            raise ConfigurationError(
                f"{SERVICE}: there is no ION token endpoint at {self.credentials.token_url} "
                f"(HTTP {response.status_code}): check 'pu' and 'ot' in the .ionapi file "
                "(INFOR_IONAPI_FILE)"
            )
        if response.status_code != 200:
            raise ApiError(
                SERVICE,
                f"ION token endpoint answered HTTP {response.status_code}",
                status=response.status_code,
            )
        try:
            payload = response.json()
            payload.setdefault("expires_in", DEFAULT_EXPIRES_IN)
            if not payload.get("access_token"):
                raise KeyError("access_token")
            return TokenSet.from_token_response(payload)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise MalformedResponse(
                SERVICE, "ION token response has no access_token", status=response.status_code
            ) from None


class _GrantRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _oauth_reason(response: httpx.Response) -> str:
    """`error` and `error_description` of an OAuth error body, or just the status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        description = body.get("error_description")
        return f"HTTP {response.status_code} {body['error']}" + (
            f": {description}" if description else ""
        )
    return f"HTTP {response.status_code}"
