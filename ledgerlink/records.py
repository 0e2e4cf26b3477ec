"""Records that did not fit their typed model, kept with the reason instead of dropped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


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


def validate_record(source: str, model: type[M], entity: str, raw: Any) -> M | Rejected:
    """`raw` as `model`, or the `Rejected` that says why it is not one."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        return Rejected.from_validation_error(source, entity, raw, exc)


def partition(results: Iterable[M | Rejected]) -> tuple[list[M], list[Rejected]]:
    """Split a typed read into its valid records and its rejected ones, keeping their order."""
    records: list[M] = []
    rejected: list[Rejected] = []
    for item in results:
        (rejected if isinstance(item, Rejected) else records).append(item)  # type: ignore[arg-type]
    return records, rejected
