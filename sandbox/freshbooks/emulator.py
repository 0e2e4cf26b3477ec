"""The FreshBooks emulator: wires the store, OAuth, accounting writes and webhooks together."""

from __future__ import annotations

from typing import ClassVar

from fastapi import APIRouter, FastAPI

from sandbox.emulator import Emulator, SandboxContext
from sandbox.freshbooks.accounting import Accounting
from sandbox.freshbooks.app import build_app
from sandbox.freshbooks.controls import add_controls
from sandbox.freshbooks.errors import fault_body
from sandbox.freshbooks.identity import Account
from sandbox.freshbooks.oauth import OAuth
from sandbox.freshbooks.seed import load_world
from sandbox.freshbooks.store import Store
from sandbox.freshbooks.webhooks import Webhooks
from sandbox.generator import World


class FreshBooksEmulator(Emulator):
    name = "freshbooks"
    data_version: ClassVar[int] = 5  # bump when the seed or schema changes

    def __init__(self, ctx: SandboxContext) -> None:
        super().__init__(ctx)
        self.account = Account.from_seed(ctx.seed)
        self.store = Store(self.db)
        self.oauth = OAuth(self.db, self.account, ctx.clock)
        self.webhooks = Webhooks(self.db, self.account, ctx.clock)
        self.accounting = Accounting(self.store, ctx.clock, self.webhooks.emit)

    def build_app(self) -> FastAPI:
        return build_app(self)

    def load(self, world: World) -> None:
        # The account and app registration stay those of the starting seed even when a reset
        # picks another one: sandbox.env (client id and secret) was written at start.
        load_world(self.db, world)
        self.webhooks.clear()

    def clear_controls(self) -> None:
        self.webhooks.deliveries.clear()
        self.oauth.reset_controls()
        self.accounting.force_conflicts(0)

    def environment(self) -> dict[str, str]:
        return {
            "FRESHBOOKS_API_URL": self.base_url,
            "FRESHBOOKS_AUTH_URL": self.base_url,  # the same server answers /oauth/authorize
            "FRESHBOOKS_CLIENT_ID": self.account.client_id,
            "FRESHBOOKS_CLIENT_SECRET": self.account.client_secret,
        }

    def error_body(self, status: int) -> tuple[str, bytes]:
        return fault_body(status)

    def control_routes(self, router: APIRouter) -> None:
        add_controls(router, self)
