"""ION API Gateway authorization server: the `.ionapi` credentials file and OAuth 2.0 tokens.

Grants: `password` (service-account keys `saak`/`sask`, as backend services use), `refresh_token`
and `client_credentials`; client id/secret in the form or as HTTP Basic. Tokens expire by the
sandbox clock, so a test can advance the clock past `expires_in` instead of waiting.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import string
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sandbox.clock import SandboxClock
from sandbox.infor.company import TENANT

DEFAULT_LIFETIME_SECONDS = 7200
REFRESH_LIFETIME = timedelta(days=1)
TOKEN_PATH, REVOKE_PATH, AUTHORIZE_PATH = (
    "token.oauth2",
    "revoke_token.oauth2",
    "authorization.oauth2",
)


@dataclass(frozen=True)
class Credentials:
    """What an authorized app's downloaded `.ionapi` file holds, deterministic per seed."""

    ti: str
    cn: str
    ci: str
    cs: str
    saak: str
    sask: str

    @classmethod
    def from_seed(cls, seed: int) -> Credentials:
        rng = random.Random(f"{seed}:ionapi")
        alphabet = string.ascii_letters + string.digits

        def token(length: int) -> str:
            return "".join(rng.choice(alphabet) for _ in range(length))

        return cls(
            ti=TENANT,
            cn=f"ledgerlink_{TENANT}",
            ci=f"{TENANT}~{token(43)}",
            cs=token(86),
            saak=f"{TENANT}#{token(86)}",
            sask=token(86),
        )

    def document(self, base_url: str) -> dict[str, str]:
        return {
            "ti": self.ti,
            "cn": self.cn,
            "dt": "12",
            "ci": self.ci,
            "cs": self.cs,
            "iu": base_url,
            "pu": f"{base_url}/{self.ti}/as/",
            "oa": AUTHORIZE_PATH,
            "ot": TOKEN_PATH,
            "or": REVOKE_PATH,
            "ev": "U1455130350",
            "v": "1.1",
            "saak": self.saak,
            "sask": self.sask,
        }

    def write(self, path: Path, base_url: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.document(base_url), indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)
        return path


class TokenStore:
    """Issued access and refresh tokens with their expiry instants on the sandbox clock."""

    def __init__(self, clock: SandboxClock) -> None:
        self.clock = clock
        self.lifetime_seconds = DEFAULT_LIFETIME_SECONDS
        self._access: dict[str, datetime] = {}
        self._refresh: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def issue(self, *, with_refresh: bool, refresh_token: str | None = None) -> dict:
        now = self.clock.now()
        access = secrets.token_urlsafe(32)
        body: dict = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.lifetime_seconds,
        }
        with self._lock:
            self._access[access] = now + timedelta(seconds=self.lifetime_seconds)
            if with_refresh:
                # ION keeps a refresh token until it expires or is revoked: hand the same one back.
                refresh_token = refresh_token or secrets.token_urlsafe(32)
                self._refresh.setdefault(refresh_token, now + REFRESH_LIFETIME)
                body["refresh_token"] = refresh_token
        return body

    def refresh(self, refresh_token: str) -> dict | None:
        with self._lock:
            expires = self._refresh.get(refresh_token)
            if expires is None or expires <= self.clock.now():
                self._refresh.pop(refresh_token, None)
                return None
        return self.issue(with_refresh=True, refresh_token=refresh_token)

    def valid(self, access_token: str) -> bool:
        with self._lock:
            expires = self._access.get(access_token)
            if expires is None:
                return False
            if expires <= self.clock.now():
                del self._access[access_token]
                return False
            return True

    def revoke(self, token: str) -> None:
        with self._lock:
            self._access.pop(token, None)
            self._refresh.pop(token, None)

    def expire_all(self, *, refresh_tokens: bool = False) -> int:
        with self._lock:
            count = len(self._access)
            self._access.clear()
            if refresh_tokens:
                count += len(self._refresh)
                self._refresh.clear()
        return count

    def set_lifetime(self, seconds: int) -> None:
        self.lifetime_seconds = seconds


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return "", ""
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return form.get("client_id", ""), form.get("client_secret", "")


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def unauthorized() -> JSONResponse:
    return JSONResponse(
        {
            "error": "invalid_token",
            "error_description": "The access token is missing, expired or unknown",
        },
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def auth_router(credentials: Credentials, tokens: TokenStore) -> APIRouter:
    router = APIRouter(prefix=f"/{credentials.ti}/as", tags=["ION authorization server"])

    @router.post(f"/{TOKEN_PATH}")
    async def token(request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        client_id, client_secret = _client_credentials(request, form)
        if (client_id, client_secret) != (credentials.ci, credentials.cs):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type", "")
        if grant == "password":
            if (form.get("username"), form.get("password")) != (credentials.saak, credentials.sask):
                return _oauth_error(400, "invalid_grant", "The service account keys are not valid")
            return JSONResponse(tokens.issue(with_refresh=True))
        if grant == "refresh_token":
            body = tokens.refresh(form.get("refresh_token", ""))
            if body is None:
                return _oauth_error(
                    400, "invalid_grant", "The refresh token is expired, revoked or unknown"
                )
            return JSONResponse(body)
        if grant == "client_credentials":
            return JSONResponse(tokens.issue(with_refresh=False))
        return _oauth_error(400, "unsupported_grant_type", f"Grant type {grant!r} is not supported")

    @router.api_route(f"/{REVOKE_PATH}", methods=["GET", "POST"])
    async def revoke(request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        form = {**dict(request.query_params), **form}
        if request.method == "POST":
            client_id, client_secret = _client_credentials(request, form)
            if (client_id, client_secret) != (credentials.ci, credentials.cs):
                return _oauth_error(401, "invalid_client", "Client authentication failed")
        if form.get("token"):
            tokens.revoke(form["token"])
        return Response(status_code=200)

    @router.get(f"/{AUTHORIZE_PATH}")
    def authorize() -> Response:
        return _oauth_error(
            400,
            "unsupported_response_type",
            "This authorized app is a backend service: use the password grant",
        )

    return router
