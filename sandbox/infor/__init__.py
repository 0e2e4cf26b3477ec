"""Infor M3 emulator: the ION API gateway's OAuth server and M3's MI REST v2 API, on one port."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import ClassVar

from fastapi import APIRouter, FastAPI

from sandbox.emulator import Emulator, SandboxContext
from sandbox.generator import World
from sandbox.infor import programs  # noqa: F401 - registers the MI transactions
from sandbox.infor.company import CONO
from sandbox.infor.contract import load_contract
from sandbox.infor.controls import add_controls
from sandbox.infor.executor import Executor
from sandbox.infor.ionapi import (
    DEFAULT_LIFETIME_SECONDS,
    Credentials,
    TokenStore,
    auth_router,
    unauthorized,
)
from sandbox.infor.lifecycle import LifecycleRules
from sandbox.infor.m3api import m3_router
from sandbox.infor.scripted_faults import ScriptedFaults
from sandbox.infor.seed import load_world
from sandbox.infor.store import Store
from sandbox.infor.tenant import tenant_for

IONAPI_FILE = "infor.ionapi"


class InforEmulator(Emulator):
    name: ClassVar[str] = "infor"
    data_version: ClassVar[int] = 3

    def __init__(self, ctx: SandboxContext) -> None:
        super().__init__(ctx)
        # Credentials follow the seed the sandbox started with; a reset keeps them, so a client
        # holding the .ionapi file keeps working.
        self.credentials = Credentials.from_seed(ctx.seed)
        self.tokens = TokenStore(ctx.clock)
        self.store = Store(self.db, ctx.clock, tenant_for(ctx.options))
        self.scripted_faults = ScriptedFaults()
        self.executor = Executor(
            self.store,
            load_contract(),
            self.scripted_faults,
            LifecycleRules(),
            unsupported=ctx.options.unsupported_in("infor"),
        )

    def build_app(self) -> FastAPI:
        app = FastAPI(
            title="Infor M3 (ledgerlink sandbox)",
            docs_url="/_sandbox/docs",
            openapi_url="/_sandbox/openapi.json",  # keep the API's own paths to M3's
            redoc_url=None,
        )
        app.include_router(auth_router(self.credentials, self.tokens))
        app.include_router(m3_router(self.credentials.ti, self.tokens, self.executor))
        return app

    def load(self, world: World) -> None:
        with self.executor.lock:
            load_world(self.store, world)

    def restore(self, name: str) -> None:
        with self.executor.lock:
            super().restore(name)

    def clear_controls(self) -> None:
        self.scripted_faults.clear()
        self.executor.rules.ship_after_hours = self.executor.rules.invoice_after_hours = None
        self.tokens.set_lifetime(DEFAULT_LIFETIME_SECONDS)

    def environment(self) -> dict[str, str]:
        path = self.credentials.write(self.ctx.data_dir / IONAPI_FILE, self.base_url)
        return {
            "INFOR_IONAPI_FILE": str(path),
            "INFOR_CONO": CONO,
            "INFOR_DIVI": self.store.tenant.divi,
        }

    def error_body(self, status: int) -> tuple[str, bytes]:
        """What the ION gateway answers when it, or M3 behind it, fails."""
        if status == 401:
            return "application/json", bytes(unauthorized().body)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        detail = {
            429: "Too many requests for this tenant; retry after the interval in Retry-After",
            502: "The ION API Gateway received an invalid response from M3",
            503: "M3 is not available; try again later",
            504: "M3 did not answer in time",
        }.get(status, reason)
        body = {"code": status, "message": reason, "detail": detail}
        return "application/json", json.dumps(body).encode()

    def control_routes(self, router: APIRouter) -> None:
        add_controls(router, self)
