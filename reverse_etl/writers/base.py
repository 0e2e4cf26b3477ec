"""The writer contract: one handler per synced entity, and a writer per target that routes each
operation to its handler.

A handler looks its record up by the natural key the sync model names before it writes, so a
retry, a replay or a second run never enters a record twice (`find`), then creates, updates or
voids it (`write`). Its `check` refuses, before any request, an operation the entity does not
take; a target's handlers add their own checks. Outcomes carry the id crosswalk rows that
`Ledger.link` records (`links`). The payload fields a handler sends come from the sync's
declaration in `syncs.yml` (`payload_fields`), never from lists of their own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from ledgerlink.errors import ConfigurationError, LedgerlinkError
from reverse_etl.operations import Operation, WriteResult

ClientT = TypeVar("ClientT")


def payload_fields(
    op: Operation,
    model: type[BaseModel],
    part: str | None = None,
    *,
    sent_otherwise: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """The payload fields the sync declares (for `part`, one M3 transaction; else the whole
    payload) that `model` takes, by alias. A declared field it does not take, unless
    `sent_otherwise`, is a mistake in syncs.yml: refused before anything is sent."""
    declared = op.sync.fields(part) if part else op.sync.columns
    takes = {info.alias or name for name, info in model.model_fields.items()}
    unknown = [f for f in declared if f not in takes and f not in sent_otherwise]
    if unknown:
        where = f" for {part}" if part else ""
        raise ConfigurationError(
            f"reverse_etl/syncs.yml: sync {op.sync.name} declares {', '.join(unknown)}{where}, "
            f"which {model.__name__} does not take: correct the payload there"
        )
    return tuple(f for f in declared if f in takes)


class EntityHandler(ABC, Generic[ClientT]):
    """Finds and writes the records of one sync. Each target subclasses it once (its checks,
    refusals and crosswalk links), then once per entity."""

    target_name: ClassVar[str]  # the target as people read it: Infor, FreshBooks
    entity: ClassVar[str]  # `entity` of the sync model's rows
    sync: ClassVar[str]  # the sync's name in syncs.yml
    operations: ClassVar[tuple[str, ...]] = ("create",)

    def __init__(self, client: ClientT) -> None:
        self.client = client

    @abstractmethod
    def find(self, op: Operation) -> WriteResult | None:
        """The record in the target by the row's natural key, or None when the target lacks it."""

    @abstractmethod
    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        """Create, update or void the record in the target. `parent_ids` maps each `depends_on`
        natural key to the id the parent got in the target."""

    @abstractmethod
    def refusal(self, op: Operation, field: str | None, problem: str) -> LedgerlinkError:
        """The error for a row that must not be sent: it never reaches the API."""

    def check(self, op: Operation) -> None:
        """Refuse, before any request, an operation this entity does not take."""
        if op.operation not in self.operations:
            problem = (
                f"operation {op.operation!r} is not written to {self.target_name} "
                f"(only {' and '.join(self.operations)})"
            )
            raise self.refusal(op, "operation", problem)

    def links(self, op: Operation, target_id: str) -> list[dict[str, Any]]:
        """The id crosswalk rows a write of this record records (`Ledger.link` arguments)."""
        return []

    def result(self, status: str, op: Operation, target_id: str | int) -> WriteResult:
        """An outcome with the record's id in the target and its crosswalk links."""
        return WriteResult(status, str(target_id), self.links(op, str(target_id)))


class TargetWriter(Generic[ClientT]):
    """The reverse-ETL `Writer` of one target: each operation goes to its entity's handler,
    which checks it before anything is sent."""

    target_name: ClassVar[str]

    def __init__(self, client: ClientT, handlers: Iterable[EntityHandler[ClientT]]) -> None:
        self.client = client
        self.handlers: dict[str, EntityHandler[ClientT]] = {}
        for handler in handlers:  # rows name their entity; a sync's name finds it too
            self.handlers[handler.entity] = self.handlers[handler.sync] = handler

    def handler(self, op: Operation) -> EntityHandler[ClientT]:
        handler = self.handlers.get(op.entity) or self.handlers.get(op.sync.name)
        if handler is None:
            entities = ", ".join(dict.fromkeys(h.entity for h in self.handlers.values()))
            raise ConfigurationError(
                f"{self.target_name}: no writer for entity {op.entity!r} (sync {op.sync.name}); "
                f"the {self.target_name} writer takes {entities}: fix the sync model"
            )
        return handler

    def find(self, op: Operation) -> WriteResult | None:
        """The record by its natural key: None when the target lacks it, `unchanged` when it
        holds all of it (FreshBooks also answers `DIFFERS`, see `operations.DIFFERS`)."""
        handler = self.handler(op)
        handler.check(op)
        return handler.find(op)

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        """Write the record, or complete what an earlier attempt left half done."""
        handler = self.handler(op)
        handler.check(op)
        return handler.write(op, parent_ids)
