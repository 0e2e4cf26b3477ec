"""Infor controls under `/_sandbox/`: tokens, scripted M3 faults, order lifecycle, counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from sandbox.infor import lifecycle, orderbook
from sandbox.infor.company import SEED_USER
from sandbox.infor.errors import MIError
from sandbox.infor.programs import cash
from sandbox.infor.scripted_faults import ScriptedFault

if TYPE_CHECKING:
    from sandbox.infor import InforEmulator


class ExpireRequest(BaseModel):
    refresh_tokens: bool = False  # also expire refresh tokens (forces a new password grant)


class LifetimeRequest(BaseModel):
    seconds: int = Field(ge=1)


class LifecycleRequest(BaseModel):
    ship_after_hours: float | None = Field(default=None, ge=0)
    invoice_after_hours: float | None = Field(default=None, ge=0)


def add_controls(router: APIRouter, emulator: InforEmulator) -> None:
    tokens, executor, store = emulator.tokens, emulator.executor, emulator.store

    @router.post("/tokens/expire")
    def expire_tokens(body: ExpireRequest | None = None) -> dict:
        expired = tokens.expire_all(refresh_tokens=(body or ExpireRequest()).refresh_tokens)
        return {"expired": expired}

    @router.post("/tokens/lifetime")
    def token_lifetime(body: LifetimeRequest) -> dict:
        tokens.set_lifetime(body.seconds)
        return {"seconds": tokens.lifetime_seconds}

    @router.get("/infor/faults")
    def list_faults() -> dict:
        return {"faults": emulator.scripted_faults.describe()}

    @router.post("/infor/faults")
    def add_fault(body: ScriptedFault) -> dict:
        emulator.scripted_faults.add(body)
        return list_faults()

    @router.delete("/infor/faults")
    def clear_faults() -> dict:
        emulator.scripted_faults.clear()
        return list_faults()

    @router.get("/infor/counts")
    def counts() -> dict:
        with executor.lock:
            return store.counts()

    @router.get("/infor/statements/{stmn}")
    def statements(stmn: str) -> dict:
        """A bank statement's head (BSHS 3 once validated), lines and details (ABS100MI)."""
        with executor.lock:
            return {"statements": cash.statements(store, stmn)}

    @router.get("/infor/lifecycle")
    def get_rules() -> dict:
        return {
            "ship_after_hours": executor.rules.ship_after_hours,
            "invoice_after_hours": executor.rules.invoice_after_hours,
        }

    @router.post("/infor/lifecycle")
    def set_rules(body: LifecycleRequest) -> dict:
        executor.rules.ship_after_hours = body.ship_after_hours
        executor.rules.invoice_after_hours = body.invoice_after_hours
        return get_rules()

    def move(orno: str, action: str) -> dict:
        with executor.lock, store.db.transaction():
            order = orderbook.by_order_number(store, orno)
            if order is None:
                raise HTTPException(404, f"Customer order {orno} does not exist")
            try:
                if action == "ship":
                    delivery = lifecycle.ship(store, order, store.stamp(), SEED_USER)
                    return {
                        "ORNO": orno,
                        "ORST": order.head["ORST"],
                        "DLIX": delivery["DLIX"],
                        "CONN": delivery["CONN"],
                    }
                invoice = lifecycle.invoice(store, order, store.stamp(), SEED_USER)
            except MIError as error:
                raise HTTPException(409, error.message) from None
            return {
                "ORNO": orno,
                "ORST": order.head["ORST"],
                "IVNO": invoice["IVNO"],
                "YEA4": invoice["YEA4"],
                "CINO": invoice["IVNO"],
                "AMT1": invoice["AMT1"],
            }

    @router.post("/infor/orders/{orno}/ship")
    def ship(orno: str) -> dict:
        return move(orno, "ship")

    @router.post("/infor/orders/{orno}/invoice")
    def invoice(orno: str) -> dict:
        return move(orno, "invoice")
