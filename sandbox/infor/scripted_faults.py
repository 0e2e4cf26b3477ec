"""Scripted M3 validation faults: the next matching transactions answer NOK with a given error."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from pydantic import BaseModel, Field

from sandbox.infor.errors import MIError


class ScriptedFault(BaseModel):
    """`POST /_sandbox/infor/faults` body: which transaction fails, with what, how many times."""

    program: str
    transaction: str | None = None  # None = any transaction of the program
    errorCode: str = "XVA0001"
    errorMessage: str = "Rejected by a scripted sandbox fault"
    field: str | None = None
    count: int = Field(default=1, ge=1)
    terminate: bool = False  # in a bulk request, also skip the transactions after it
    when: dict[str, str] = Field(default_factory=dict)  # only calls with these input values


class ScriptedFaults:
    def __init__(self) -> None:
        self._armed: list[dict] = []
        self._lock = threading.Lock()

    def add(self, fault: ScriptedFault) -> None:
        with self._lock:
            self._armed.append({"fault": fault, "left": fault.count, "fired": 0})

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def describe(self) -> list[dict]:
        with self._lock:
            return [
                {**a["fault"].model_dump(), "left": a["left"], "fired": a["fired"]}
                for a in self._armed
            ]

    def take(
        self, program: str, transaction: str, fields: Mapping[str, object] | None = None
    ) -> tuple[MIError, bool] | None:
        """The error for this call if a fault is armed for it (consuming one use)."""
        fields = fields or {}
        with self._lock:
            for armed in self._armed:
                fault: ScriptedFault = armed["fault"]
                if armed["left"] <= 0 or fault.program != program:
                    continue
                if fault.transaction not in (None, transaction):
                    continue
                if any(str(fields.get(k, "")).strip() != v for k, v in fault.when.items()):
                    continue
                armed["left"] -= 1
                armed["fired"] += 1
                return MIError(fault.errorCode, fault.errorMessage, fault.field), fault.terminate
        return None
