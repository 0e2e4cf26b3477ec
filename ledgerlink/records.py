"""Records that did not fit their typed model, kept with the reason instead of dropped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class Rejected:
    """A source record that failed validation: quarantine it with `reason`, never lose it."""

    source: str
    entity: str
    raw: Any
    reason: str

    @classmethod
    def from_validation_error(
        cls, source: str, entity: str, raw: Any, error: ValidationError
    ) -> Rejected:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<record>'}: {e['msg']}"
            for e in error.errors()
        )
        return cls(source=source, entity=entity, raw=raw, reason=problems)
