"""Payload values to the connector's M3 inputs, checked against the M3 contract before sending."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, get_args

from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails

from ledgerlink.connectors.infor import M3InputRejected
from ledgerlink.connectors.infor.inputs import JournalLine, M3Input
from ledgerlink.connectors.infor.values import parse_date, parse_decimal, trim
from reverse_etl.operations import Operation
from reverse_etl.writers.base import payload_fields

InputT = TypeVar("InputT", bound=M3Input)

# The company and division a row is planned for: the client sends its own (its settings), and
# `InforHandler.check` refuses a row planned for others. Declared, never part of an input.
COMPANY_FIELDS = ("CONO", "DIVI")


class JournalBatchHead(M3Input):
    """GLS840MI/AddBatchHead. The connector's `add_batch_head` takes plain arguments, so the head
    has no input model there. This one gives it the same contract check as the other inputs."""

    transaction = ("GLS840MI", "AddBatchHead")
    batch_key: str = Field(alias="KEY1")
    interface: str = Field(alias="INTN")
    description: str = Field(alias="DESC")
    division: str | None = Field(None, alias="DIVI")


class JournalLineInput(JournalLine):
    """A GLS840MI journal line where ACAM may be empty. The contract makes ACAM optional, and a
    foreign-currency expense sends only CUAM, which M3 converts at its own rate."""

    amount: Decimal | None = Field(None, alias="ACAM")  # type: ignore[assignment]

    def problems(self) -> list[str]:
        problems = super().problems()
        if self.amount is None and self.foreign_amount is None:
            problems.append("ACAM or CUAM is required")
        return problems


def transaction_values(op: Operation, model: type[M3Input]) -> dict[str, Any]:
    """The row's values of the fields syncs.yml declares for the model's transaction (the
    company fields aside: the client sends its own)."""
    program, transaction = model.transaction
    part = f"{program}/{transaction}"
    return op.values(payload_fields(op, model, part, sent_otherwise=COMPANY_FIELDS))


def _is_date(annotation: Any) -> bool:
    return annotation is date or date in get_args(annotation)


def _problem(model: type[M3Input], error: ErrorDetails) -> str:
    code = str(error["loc"][0]) if error["loc"] else "record"
    if error["type"] == "missing":
        return f"{code} is required"
    if error["type"] == "extra_forbidden":
        program, transaction = model.transaction
        return f"{code} is not an input of {program}/{transaction}"
    message = error["msg"][:1].lower() + error["msg"][1:]
    return f"{code} is not valid ({message}), got {error['input']!r}"


def build_input(model: type[InputT], values: Mapping[str, Any], *, where: str = "") -> InputT:
    """The connector's input model built from payload values (None = not sent). Raises
    `M3InputRejected` (a `ValidationFailed`) naming each field M3 would refuse."""
    given = {code: value for code, value in values.items() if value is not None}
    problems: list[str] = []
    for name, info in model.model_fields.items():
        code = info.alias or name
        # pydantic reads a YYYYMMDD string as a Unix timestamp: M3 dates are parsed here.
        if isinstance(given.get(code), str) and _is_date(info.annotation):
            try:
                given[code] = parse_date(given[code])
            except ValueError:
                problems.append(f"{code} is not a date (YYYYMMDD), got {given[code]!r}")
    if not problems:
        try:
            data = model.model_validate(given)
        except ValidationError as exc:
            problems = [_problem(model, error) for error in exc.errors()]
        else:
            problems = data.problems()
            if not problems:
                return data
    raise M3InputRejected(*model.transaction, [problem + where for problem in problems])


def json_lines(op: Operation, model: type[M3Input]) -> list[dict[str, Any]]:
    """The `lines` column (a JSON array of M3 records), with numbers read as Decimal."""
    raw = op.value("lines")
    try:
        lines = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else raw or []
    except json.JSONDecodeError as exc:
        raise M3InputRejected(*model.transaction, [f"lines is not JSON: {exc}"]) from None
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise M3InputRejected(*model.transaction, ["lines must be a JSON array of objects"])
    return lines


def same(wanted: object, current: object) -> bool:
    """Whether M3 already holds the value: text ignoring case and padding, numbers by value."""
    a, b = trim(wanted), trim(current)
    if a.casefold() == b.casefold():
        return True
    try:
        x, y = parse_decimal(a), parse_decimal(b)
    except ValueError:
        return False
    return x is not None and x == y
