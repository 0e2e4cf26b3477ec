"""The `/_sandbox/...` controls every emulator shares: health, reset, snapshots, clock, faults,
stats."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sandbox.faults import CONTROL_PREFIX, FaultRule

if TYPE_CHECKING:
    from sandbox.emulator import Emulator


class ResetRequest(BaseModel):
    seed: int | None = None
    scale: float | None = None


class ClockRequest(BaseModel):
    advance_seconds: float | None = None
    set: datetime | None = None
    frozen: bool = False
    reset: bool = False


class FaultsRequest(BaseModel):
    rules: list[FaultRule] = []
    rate_limit_per_second: float | None = None


def control_router(emulator: Emulator) -> APIRouter:
    router = APIRouter(prefix=CONTROL_PREFIX, tags=["sandbox controls"])
    clock = emulator.ctx.clock
    faults = emulator.faults

    @router.get("/health")
    def health() -> dict:
        return {
            "emulator": emulator.name,
            "ok": True,
            "seed": emulator.ctx.seed,
            "scale": emulator.ctx.scale,
            "profile": emulator.ctx.options.profile,
        }

    @router.post("/reset")
    def reset(body: ResetRequest | None = None) -> dict:
        body = body or ResetRequest()
        emulator.reset(seed=body.seed, scale=body.scale)
        faults.stats.clear()
        return {"emulator": emulator.name, "seed": emulator.ctx.seed, "scale": emulator.ctx.scale}

    # Control errors answer in one plain shape, not in the emulated API's own error format.
    @router.post("/snapshots/{name}", response_model=None)
    def snapshot(name: str) -> dict | JSONResponse:
        try:
            emulator.snapshot(name)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return {"emulator": emulator.name, "snapshot": name}

    @router.post("/snapshots/{name}/restore", response_model=None)
    def restore(name: str) -> dict | JSONResponse:
        try:
            emulator.restore(name)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        except KeyError:
            return JSONResponse({"error": f"no snapshot {name!r}: take it first"}, status_code=404)
        faults.stats.clear()
        return {"emulator": emulator.name, "restored": name}

    @router.get("/clock")
    def get_clock() -> dict:
        return clock.describe()

    @router.post("/clock")
    def set_clock(body: ClockRequest) -> dict:
        if body.reset:
            clock.reset()
        if body.set is not None:
            clock.set(body.set, frozen=body.frozen)
        if body.advance_seconds:
            clock.advance(body.advance_seconds)
        return clock.describe()

    @router.get("/faults")
    def get_faults() -> dict:
        return {"rules": faults.describe(), "rate_limit_per_second": faults.rate_limit.per_second}

    @router.post("/faults")
    def add_faults(body: FaultsRequest) -> dict:
        faults.add(body.rules)
        if body.rate_limit_per_second is not None:
            faults.rate_limit.set(body.rate_limit_per_second or None)
        return get_faults()

    @router.delete("/faults")
    def clear_faults() -> dict:
        faults.clear()
        return get_faults()

    @router.get("/stats")
    def stats() -> dict:
        return dict(faults.stats)

    return router
