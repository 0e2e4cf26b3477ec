"""Sync declarations, read from `syncs.yml` beside this module: the one place each sync is declared.

dbt reads them from `dbt_project/macros/sync/sync_declarations.sql`, which
`python -m reverse_etl.definitions` writes from `syncs.yml` (a test checks that it is current),
with dbt's copy of the field maps (`field_maps.py`).
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

SYNCS_FILE = Path(__file__).resolve().parent / "syncs.yml"
DBT_MACRO = (
    Path(__file__).resolve().parent.parent
    / "dbt_project"
    / "macros"
    / "sync"
    / "sync_declarations.sql"
)

# payload: a list of columns, or per M3 transaction its fields and per JSON column of M3 records
# {transaction: fields} (see syncs.yml).
Payload = list[str] | dict[str, list[str] | dict[str, list[str]]]


class HoldRules(BaseModel):
    """When the pre-posting gate (`reverse_etl/anomaly_gate.py`) holds a row for review."""

    model_config = ConfigDict(extra="forbid")

    # amount: robust z-score of the log amount against the customer's own history at least
    # this, and the amount at least `amount_ratio` times their median (off when absent)
    amount_z: float | None = Field(default=None, gt=0)
    amount_ratio: float = Field(default=50.0, gt=1)
    # fewer past records than this: their own median, with the spread customers usually have
    min_history: int = Field(default=5, ge=2)
    # the same customer, amount and (fuzzily) reference within `duplicate_days` of a record
    # already there or earlier in the batch
    duplicates: bool = False
    duplicate_days: int = Field(default=3, ge=0)
    # a currency other than the customer's usual one or their M3 customer's
    currency: bool = False


class SyncDefinition(BaseModel):
    # A misspelt key would silently fall back to a default: refuse it instead.
    model_config = ConfigDict(extra="forbid")

    name: str
    model: str
    target: Literal["freshbooks", "infor"]
    object: str
    match_key: str
    mode: Literal["create_only", "update_only", "upsert", "mirror"]
    depends_on: list[str] = Field(default_factory=list)
    # systems the plan reads besides FreshBooks and Infor: off in a deployment without them
    requires: list[Literal["shop"]] = Field(default_factory=list)
    # Writes per second at most; without it the connector's rate limit (FRESHBOOKS_RATE_LIMIT,
    # INFOR_RATE_LIMIT), which every request keeps to, is the only pace.
    rate: float | None = Field(default=None, gt=0)
    concurrency: int = Field(default=4, gt=0)
    max_attempts: int = Field(default=3, gt=0)
    hold: HoldRules | None = None  # the pre-posting gate's thresholds; none: not gated
    payload: Payload

    @model_validator(mode="after")
    def _payload_is_declared_per_transaction(self) -> SyncDefinition:
        parts = self.payload if isinstance(self.payload, dict) else {}
        for key, value in parts.items():
            records = value if isinstance(value, dict) else {key: value}
            if len(records) != 1 or not all("/" in transaction for transaction in records):
                raise ValueError(
                    f"sync {self.name}: payload {key!r} must list the fields of one M3 "
                    "transaction (PROGRAM/Transaction: [fields]), or be a JSON column of records "
                    "of one ({column: {PROGRAM/Transaction: [fields]}})"
                )
        if self.target == "infor" and not parts:
            raise ValueError(f"sync {self.name}: an Infor payload is declared per M3 transaction")
        return self

    @property
    def entity(self) -> str:
        """What the sync model's rows call their records: `sync_infor__customers` -> customers."""
        return self.model.split("__", 1)[1]

    @property
    def columns(self) -> tuple[str, ...]:
        """The payload columns, in the order the content hash reads them."""
        if isinstance(self.payload, list):
            return tuple(self.payload)
        columns: dict[str, None] = {}  # a field two transactions take is one column
        for key, value in self.payload.items():
            columns.update(dict.fromkeys([key] if isinstance(value, dict) else value))
        return tuple(columns)

    @property
    def transactions(self) -> dict[str, tuple[str, ...]]:
        """M3 transaction -> the payload columns it takes (JSON columns of records aside)."""
        if isinstance(self.payload, list):
            return {}
        return {k: tuple(v) for k, v in self.payload.items() if isinstance(v, list)}

    @property
    def records(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """JSON column -> (M3 transaction, the fields of each record in it)."""
        if isinstance(self.payload, list):
            return {}
        return {
            column: next((t, tuple(f)) for t, f in value.items())
            for column, value in self.payload.items()
            if isinstance(value, dict)
        }

    def fields(self, transaction: str) -> tuple[str, ...]:
        """The payload columns declared for `transaction` (`CRS610MI/ChgFinancial`); none when
        the sync does not send it."""
        return self.transactions.get(transaction, ())

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

    def for_dbt(self) -> dict[str, Any]:
        """What the sync models read: the payload columns and the M3 transaction of each field."""
        return {
            "model": self.model,
            "target": self.target,
            "object": self.object,
            "requires": self.requires,
            "columns": list(self.columns),
            "transactions": {t: list(fields) for t, fields in self.transactions.items()},
            "records": {
                column: {"transaction": transaction, "fields": list(fields)}
                for column, (transaction, fields) in self.records.items()
            },
        }


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


def dbt_macro() -> str:
    """The dbt macro that gives the sync models each sync's declaration, by sync name."""
    syncs = [
        f'  "{sync.name}": {{\n'
        + ",\n".join(f'    "{key}": {json.dumps(value)}' for key, value in sync.for_dbt().items())
        + "\n  }"
        for sync in load_syncs()
    ]
    return (
        "{#- Generated by `python -m reverse_etl.definitions` from reverse_etl/syncs.yml: do not\n"
        "    edit by hand. Per sync: its model, target and payload (the columns in the order the\n"
        "    content hash reads them, the fields of each M3 transaction, the JSON columns of M3\n"
        "    records with their transaction and fields). -#}\n"
        "{% macro sync_declarations() -%}\n"
        "{{ return({\n" + ",\n".join(syncs) + "\n}) }}\n"
        "{%- endmacro %}\n"
    )


if __name__ == "__main__":
    from reverse_etl import field_maps  # it reads the syncs: its dbt copy follows them

    DBT_MACRO.write_text(dbt_macro())
    field_maps.DBT_MACRO.write_text(field_maps.dbt_macro())
    print(f"wrote {DBT_MACRO} and {field_maps.DBT_MACRO}", file=sys.stderr)
