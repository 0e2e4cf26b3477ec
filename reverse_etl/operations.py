"""What a writer receives and returns: one planned operation from a dbt sync model."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from reverse_etl.definitions import SyncDefinition
from reverse_etl.ledger import Intent

# Columns every sync model leads with; the rest is the target's payload.
LEADING_COLUMNS = (
    "sync_key",
    "target",
    "entity",
    "natural_key",
    "operation",
    "depends_on",
    "content_hash",
)
# What the target holds now for the fields an update or void sends (JSON; the dry run's "before").
BEFORE_VALUES = "before_values"


@dataclass(frozen=True)
class Operation:
    """One row of a sync model: create, update or void one record in the target."""

    sync: SyncDefinition
    row: dict[str, Any]
    intent: Intent | None = None

    @property
    def natural_key(self) -> str:
        return str(self.row["natural_key"])

    @property
    def operation(self) -> str:
        return str(self.row["operation"])

    @property
    def entity(self) -> str:
        return str(self.row["entity"])

    @property
    def content_hash(self) -> str:
        return str(self.row["content_hash"])

    @property
    def depends_on(self) -> str | None:
        value = self.row.get("depends_on")
        return str(value) if value not in (None, "") else None

    def value(self, column: str) -> Any:
        """A payload value by name, case-insensitively (Postgres folds M3 codes to lower case);
        None means "do not send this field"."""
        if column in self.row:
            return self.row[column]
        lowered = {k.lower(): v for k, v in self.row.items()}
        return lowered.get(column.lower())

    def values(self, columns: Iterable[str]) -> dict[str, Any]:
        """The payload values of `columns`, by name (None: not sent)."""
        return {column: self.value(column) for column in columns}

    def payload(self) -> dict[str, Any]:
        """The row without its leading columns and the target's current values, nulls dropped."""
        return {
            k: v
            for k, v in self.row.items()
            if k not in LEADING_COLUMNS and k != BEFORE_VALUES and v is not None
        }


# A look-up answer (never an outcome to record): the target has a record under this natural key,
# with other content. The runner then writes `onto_existing(op, target_id)` instead.
DIFFERS = "differs"
# Row key `onto_existing` sets: the id in the target a write must update instead of creating.
TARGET_ID = "target_id"


def onto_existing(op: Operation, target_id: str) -> Operation:
    """`op` aimed at the record `find` reported as `DIFFERS`: a create becomes an update of
    that record (never a second record), an update or a void keeps its operation."""
    operation = "update" if op.operation == "create" else op.operation
    return replace(op, row={**op.row, "operation": operation, TARGET_ID: target_id})


@dataclass
class WriteResult:
    """What a write did: `created`, `updated` or `unchanged`, the target's id, and the ids to
    record in the crosswalk (each a dict of `Ledger.link` keyword arguments)."""

    status: str
    target_id: str | None = None
    links: list[dict[str, Any]] = field(default_factory=list)


class Writer(Protocol):
    """Writes one target's records. Every method may raise the connectors' typed errors."""

    def find(self, op: Operation) -> WriteResult | None:
        """Look the record up by its natural key; None when the target does not have it."""

    def write(self, op: Operation, parent_ids: dict[str, str]) -> WriteResult:
        """Create, update or void the record. `parent_ids` maps each `depends_on` natural key to
        the id the parent got in the target (e.g. a new client's FreshBooks id)."""
