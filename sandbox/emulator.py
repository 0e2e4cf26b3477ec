"""What every emulator provides, and the shared context they run in."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from fastapi import APIRouter, FastAPI

from sandbox.clock import SandboxClock
from sandbox.database import Database
from sandbox.faults import FaultInjector
from sandbox.generator import World
from sandbox.options import SandboxOptions


@dataclass
class SandboxContext:
    """Shared by the emulators of one sandbox process: data folder, clock, seed, scale and the
    options that make this sandbox a variant of the default world."""

    data_dir: Path
    seed: int = 42
    scale: float = 1.0
    options: SandboxOptions = field(default_factory=SandboxOptions)
    clock: SandboxClock = field(default_factory=SandboxClock)

    def world(self) -> World:
        return World(seed=self.seed, scale=self.scale, options=self.options)


class Emulator(ABC):
    """One emulated API: its own routes and database, plus the shared controls and faults."""

    name: ClassVar[str]

    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.db = Database(ctx.data_dir / f"{self.name}.sqlite")
        self.base_url = ""  # known once the server is bound
        self.faults = FaultInjector(
            None,
            seed=ctx.seed,
            error_body=self.error_body,
            latency_seconds=ctx.options.latency_ms / 1000,
        )

    # --- to implement -------------------------------------------------------------------------
    @abstractmethod
    def build_app(self) -> FastAPI:
        """The emulated API's own routes (no `/_sandbox` controls: those are added here)."""

    @abstractmethod
    def load(self, world: World) -> None:
        """Create the emulator's tables and fill them from `world`, replacing what was there."""

    @abstractmethod
    def environment(self) -> dict[str, str]:
        """Settings (env var names) a ledgerlink process needs to talk to this emulator."""

    def error_body(self, status: int) -> tuple[str, bytes]:
        """The API's own error body for an injected status (content type, bytes)."""
        return "application/json", json.dumps({"error": f"HTTP {status}"}).encode()

    def clear_controls(self) -> None:  # noqa: B027 - optional hook
        """Forget what the controls changed beyond the data (token lifetimes, scripted refusals,
        queued deliveries): a reset and a restore start from no faults at all."""

    def control_routes(self, router: APIRouter) -> None:  # noqa: B027 - optional hook
        """Add emulator-specific `/_sandbox/...` controls (ship an order, expire tokens, ...)."""

    # --- provided ------------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        """Load the world unless the database already holds this seed, scale and options."""
        self.db.execute(
            "create table if not exists sandbox_meta (key text primary key, value text)"
        )
        if self.db.scalar("select value from sandbox_meta where key = 'world'") != self._stamp():
            self._load()

    def reset(self, seed: int | None = None, scale: float | None = None) -> None:
        if seed is not None:
            self.ctx.seed = seed
        if scale is not None:
            self.ctx.scale = scale
        self.faults.clear()
        self.clear_controls()
        self._load()

    def snapshot(self, name: str) -> Path:
        """Keep the data as it is now under `name`, for `restore` (a test suite builds a world
        once, then starts each module from it)."""
        path = self._snapshot_path(name)
        self.db.copy_to(path)
        return path

    def restore(self, name: str) -> None:
        """Back to the data of snapshot `name`, with no faults (call while no request runs)."""
        path = self._snapshot_path(name)
        if not path.exists():
            raise KeyError(name)
        self.faults.clear()
        self.clear_controls()
        self.db.copy_from(path)

    def _snapshot_path(self, name: str) -> Path:
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"snapshot names are letters, digits, - and _: {name!r}")
        return self.ctx.data_dir / "snapshots" / name / f"{self.name}.sqlite"

    def _stamp(self) -> str:
        return json.dumps(
            {
                "seed": self.ctx.seed,
                "scale": self.ctx.scale,
                "options": self.ctx.options.stamp(),
                "v": self.data_version,
            }
        )

    def _load(self) -> None:
        self.load(self.ctx.world())
        self.db.execute("insert or replace into sandbox_meta values ('world', ?)", (self._stamp(),))

    data_version: ClassVar[int] = 1  # bump when `load` changes, so stale databases reload

    def asgi_app(self) -> FaultInjector:
        from sandbox.control import control_router

        app = self.build_app()
        router = control_router(self)
        self.control_routes(router)
        app.include_router(router)
        self.faults.app = app
        return self.faults
