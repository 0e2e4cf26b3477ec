"""httpx auth that sends a bearer token and retries once with a new one after a 401."""

from __future__ import annotations

from collections.abc import Generator

import httpx

from ledgerlink.auth.tokens import TokenManager


class RefreshingBearerAuth(httpx.Auth):
    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.tokens.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.tokens.after_unauthorized(token)}"
            yield request
