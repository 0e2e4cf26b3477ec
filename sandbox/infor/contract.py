"""The M3 MI contract (programs, transactions, fields) read from ledgerlink's derived JSON file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Read by path, not imported: the sandbox shares no code with ledgerlink, only this data file.
CONTRACT_PATH = (
    Path(__file__).resolve().parents[2] / "ledgerlink" / "contracts" / "infor_m3_programs.json"
)


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # "string" or "number"
    length: int
    description: str
    required: bool = False

    @property
    def is_number(self) -> bool:
        return self.type == "number"


@dataclass(frozen=True)
class Transaction:
    program: str
    name: str
    description: str
    inputs: dict[str, Field]
    outputs: dict[str, Field]

    def label(self, field: str) -> str:
        """A field's description for messages ("Customer number"), falling back to its name."""
        known = self.inputs.get(field) or self.outputs.get(field)
        return known.description if known else field


@dataclass(frozen=True)
class Contract:
    programs: dict[str, dict[str, Transaction]]
    control_parameters: dict[str, dict]

    def transaction(self, program: str, name: str) -> Transaction | None:
        return self.programs.get(program, {}).get(name)


def _fields(entries: list[dict], *, inputs: bool) -> dict[str, Field]:
    return {
        entry["name"]: Field(
            name=entry["name"],
            type=entry["type"],
            length=entry["length"],
            description=entry["description"],
            required=bool(entry.get("required")) if inputs else False,
        )
        for entry in entries
    }


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    raw = json.loads(path.read_text(encoding="utf-8"))
    programs = {
        program: {
            name: Transaction(
                program=program,
                name=name,
                description=spec["description"],
                inputs=_fields(spec["inputs"], inputs=True),
                outputs=_fields(spec["outputs"], inputs=False),
            )
            for name, spec in body["transactions"].items()
        }
        for program, body in raw["programs"].items()
    }
    controls = {entry["name"]: entry for entry in raw["control_parameters"]}
    return Contract(programs=programs, control_parameters=controls)
