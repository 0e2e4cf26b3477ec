"""The FreshBooks entities we load: their resource names, keys and incremental cursors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    table: str  # table in raw_freshbooks
    resource: str  # connector resource (ledgerlink.connectors.freshbooks.RESOURCES)
    cursor: str  # naive US/Eastern timestamp field, filtered day-granular by `search[updated_min]`
    soft_delete: bool = True  # deleted records exist and are read with `search[vis_state]=1`


ENTITIES: tuple[Entity, ...] = (
    Entity("clients", "clients", "updated"),
    Entity("invoices", "invoices", "updated"),
    Entity("payments", "payments", "updated"),
    Entity("expenses", "expenses", "updated"),
    Entity("expense_categories", "categories", "updated_at"),
    Entity("items", "items", "updated"),
    Entity("taxes", "taxes", "updated", soft_delete=False),
    Entity("credit_notes", "credit_notes", "updated"),
)

# The entities this source can load (raw table names); LEDGERLINK_DISABLED_ENTITIES turns
# any of them off as `freshbooks.<name>`.
ENTITY_NAMES: tuple[str, ...] = tuple(entity.table for entity in ENTITIES)

# Every key carries the account, so several FreshBooks accounts can share one warehouse.
PRIMARY_KEY = ("account_id", "id")

# New fields evolve into new columns; a changed type lands in a variant column (`<col>__v_<type>`)
# instead of failing the load, and a test pins that behaviour.
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "evolve", "data_type": "evolve"}

# `search[updated_min]` only has day granularity in US/Eastern: re-read the boundary day and let
# the incremental cursor and the merge on the primary key drop what was already loaded.
OVERLAP_DAYS = 1
