"""Sync definitions, read from `syncs.yml` beside this module."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

SYNCS_FILE = Path(__file__).resolve().parent / "syncs.yml"


class SyncDefinition(BaseModel):
    name: str
    model: str
    target: Literal["freshbooks", "infor"]
    object: str
    match_key: str
    mode: Literal["create_only", "update_only", "upsert", "mirror"]
    depends_on: list[str] = Field(default_factory=list)
    # systems the plan reads besides FreshBooks and Infor: off in a deployment without them
    requires: list[Literal["shop"]] = Field(default_factory=list)
    batch_size: int = Field(default=50, gt=0)
    rate: float = Field(default=5.0, gt=0)
    concurrency: int = Field(default=4, gt=0)
    max_attempts: int = Field(default=3, gt=0)

    @property
    def entity(self) -> str:
        """What the sync model's rows call their records: `sync_infor__customers` -> customers."""
        return self.model.split("__", 1)[1]

    def runs_with(self, systems: tuple[str, ...]) -> bool:
        """Whether every system this sync reads is connected."""
        return all(system in systems for system in self.requires)

    def allows(self, operation: str) -> bool:
        """Whether this sync's mode lets `operation` (create | update | void) through."""
        return {
            "create_only": operation == "create",
            "update_only": operation == "update",
            "upsert": operation in ("create", "update"),
            "mirror": operation in ("create", "update", "void"),
        }[self.mode]


@cache
def load_syncs(path: Path = SYNCS_FILE) -> tuple[SyncDefinition, ...]:
    data = yaml.safe_load(path.read_text())
    syncs = tuple(SyncDefinition(**entry) for entry in data["syncs"])
    names = {s.name for s in syncs}
    for sync in syncs:
        missing = set(sync.depends_on) - names
        if missing:
            raise ValueError(f"sync {sync.name} depends on unknown syncs: {sorted(missing)}")
    return syncs


def in_dependency_order(syncs: tuple[SyncDefinition, ...]) -> list[SyncDefinition]:
    """Parents before children (customers before orders before receipts)."""
    by_name = {s.name: s for s in syncs}
    ordered: list[SyncDefinition] = []
    visiting: set[str] = set()

    def visit(sync: SyncDefinition) -> None:
        if sync in ordered:
            return
        if sync.name in visiting:
            raise ValueError(f"sync dependencies form a cycle at {sync.name}")
        visiting.add(sync.name)
        for parent in sync.depends_on:
            visit(by_name[parent])
        visiting.discard(sync.name)
        ordered.append(sync)

    for sync in syncs:
        visit(sync)
    return ordered
