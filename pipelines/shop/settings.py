"""The shop entities we load, and how the shop schema may change."""

from __future__ import annotations

# table in raw_shop -> extra list filters (orders are `open` unless asked for `any`)
ENTITIES: dict[str, dict[str, str]] = {
    "orders": {"status": "any"},
    "customers": {},
    "products": {"status": "active,archived,draft"},
}

# The entities this source can load (raw table names); LEDGERLINK_DISABLED_ENTITIES turns
# any of them off as `shop.<name>`.
ENTITY_NAMES: tuple[str, ...] = tuple(ENTITIES)

CURSOR = "updated_at"  # ISO-8601 with the shop's UTC offset; compared as instants, not strings

# New fields evolve; a changed type goes to a variant column instead of failing the load.
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "evolve", "data_type": "evolve"}
