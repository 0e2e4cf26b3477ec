"""FreshBooks-specific `/_sandbox/...` controls: tokens, invoice-number conflicts, counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from sandbox.freshbooks.emulator import FreshBooksEmulator


class LifetimeRequest(BaseModel):
    seconds: int = Field(gt=0)


class ConflictsRequest(BaseModel):
    count: int = Field(ge=0)


class IssueRequest(BaseModel):
    scope: str | None = None


def add_controls(router: APIRouter, emulator: FreshBooksEmulator) -> None:
    oauth = emulator.oauth

    @router.post("/tokens/expire")
    def expire_tokens() -> dict:
        """Every access token issued so far stops working now (refresh tokens still work)."""
        return {"expired": oauth.expire_all()}

    @router.post("/tokens/lifetime")
    def token_lifetime(body: LifetimeRequest) -> dict:
        """Lifetime in seconds of access tokens issued from now on (default 43200)."""
        oauth.set_lifetime(body.seconds)
        return {"seconds": oauth.lifetime}

    @router.post("/tokens/revoke")
    def revoke_tokens() -> dict:
        """Every refresh token issued so far is rejected from now on (invalid_grant)."""
        return {"revoked": oauth.revoke_refresh_tokens()}

    @router.post("/tokens/issue")
    def issue_token(body: IssueRequest | None = None) -> dict:
        """A token pair without the browser round trip, for tests and scripts."""
        return oauth.issue(body.scope if body else None)

    @router.get("/freshbooks/account")
    def account() -> dict:
        """Who the sandbox account is: the ids a connector would read from /users/me."""
        a = emulator.account
        return {
            "account_id": a.account_id,
            "business_id": a.business_id,
            "business_uuid": a.business_uuid,
            "identity_id": a.identity_id,
            "client_id": a.client_id,
        }

    @router.post("/freshbooks/conflicts")
    def conflicts(body: ConflictsRequest) -> dict:
        """The next `count` invoice creates answer 409, like concurrent number collisions."""
        emulator.accounting.force_conflicts(body.count)
        return {"count": body.count}

    @router.get("/freshbooks/counts")
    def counts() -> dict:
        """Records per entity and vis_state (0 active, 1 deleted, 2 archived)."""
        return emulator.store.counts()

    @router.get("/freshbooks/deliveries")
    def deliveries() -> dict:
        """The latest webhook deliveries and their outcome, newest last."""
        return {"deliveries": list(emulator.webhooks.deliveries)}
