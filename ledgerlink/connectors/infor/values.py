"""M3 values at the boundary: YYYYMMDD dates, numeric strings, trimming, and input field checks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any

from pydantic import BeforeValidator

from ledgerlink.contracts import CONTRACTS_DIR, load_contract

CONTRACT_NAME = "infor_m3_programs"

# M3 writes "no date" as blanks or zeros depending on the field and the release.
_EMPTY_DATES = frozenset({"", "0", "00000000"})
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


# --- reading: M3 strings -> Python ---------------------------------------------------------------
def trim(value: object) -> str:
    """M3 pads values with blanks (v1 always, v2 when `righttrim=false`): strip them."""
    if value is None:
        return ""
    return str(value).strip()


def trim_or_none(value: object) -> str | None:
    text = trim(value)
    return text or None


def parse_date(value: object) -> date | None:
    """`YYYYMMDD` (dateformat YMD8) or `YYYY-MM-DD` (YMD8-) to a date; blanks and zeros are None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = trim(value)
    if text in _EMPTY_DATES:
        return None
    digits = text.replace("-", "")
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"not an M3 date (YYYYMMDD): {text!r}")
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def parse_decimal(value: object) -> Decimal | None:
    """An M3 numeric string (`"12.30"`, `"-4"`, `"4-"`) to Decimal; blanks are None."""
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("refusing a float for an M3 number: pass a Decimal or a string")
    if isinstance(value, Decimal | int):
        return Decimal(value)
    text = trim(value)
    if not text:
        return None
    if text.endswith("-"):  # trailing sign, as some M3 editors print negatives
        text = "-" + text[:-1].strip()
    if not _NUMBER.match(text):
        raise ValueError(f"not an M3 number: {text!r}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not an M3 number: {text!r}") from exc


def parse_int(value: object) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


def parse_flag(value: object) -> bool | None:
    """An M3 check box (`"0"`/`"1"`) to a bool; blanks are None."""
    if value is None or isinstance(value, bool):
        return value
    text = trim(value)
    if not text:
        return None
    if text not in ("0", "1"):
        raise ValueError(f"not an M3 flag (0/1): {text!r}")
    return text == "1"


def parse_timestamp(value: object) -> datetime | None:
    """An M3 `LMTS` timestamp (18 digits) to an aware UTC datetime.

    The contract declares `GetServerTime`'s LMTS as a number of milliseconds: epoch milliseconds
    (13 digits today). A `YYYYMMDDHHMMSS`-with-fractions reading (17 or more digits) is also seen
    in the wild; the length tells the two apart.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    text = trim(value)
    if text in ("", "0"):
        return None
    if not text.isdigit():
        raise ValueError(f"not an M3 timestamp: {text!r}")
    if len(text) >= 17:
        stamp = datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        fraction = text[14:20].ljust(6, "0")
        return stamp.replace(microsecond=int(fraction))
    return EPOCH + timedelta(milliseconds=int(text))


# --- writing: Python -> M3 strings ----------------------------------------------------------------
def format_date(value: date | datetime | str | None) -> str:
    """A date to `YYYYMMDD`; an aware datetime is taken in UTC first."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).strftime("%Y%m%d")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    parsed = parse_date(value)
    return parsed.strftime("%Y%m%d") if parsed else ""


def format_decimal(value: Decimal | int | str | None) -> str:
    """A number as M3 wants it: plain digits, `.` as separator, no exponent, never from a float."""
    number = parse_decimal(value)
    if number is None:
        return ""
    text = format(number, "f")
    return "0" if text in ("-0", "+0") else text


def format_timestamp(value: datetime) -> str:
    """An aware datetime as an `LMTS` filter value (epoch milliseconds, UTC)."""
    if value.tzinfo is None:
        raise ValueError("LMTS needs an aware datetime")
    return str((value - EPOCH) // timedelta(milliseconds=1))


def to_m3(value: object) -> str | None:
    """One input value as the string M3 expects; None means "leave the field out"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime | date):
        return format_date(value)
    if isinstance(value, Decimal | int | float):
        return format_decimal(value)  # floats are refused there, on purpose
    return trim(value)


def to_m3_record(fields: Mapping[str, object]) -> dict[str, str]:
    """An input record with every value converted and the unset ones dropped."""
    record = {}
    for name, value in fields.items():
        text = to_m3(value)
        if text is not None:
            record[name] = text
    return record


# --- pydantic field types for typed records -------------------------------------------------------
M3Str = Annotated[str, BeforeValidator(trim)]
M3OptStr = Annotated[str | None, BeforeValidator(trim_or_none)]
M3Date = Annotated[date | None, BeforeValidator(parse_date)]
M3Decimal = Annotated[Decimal | None, BeforeValidator(parse_decimal)]
M3Int = Annotated[int | None, BeforeValidator(parse_int)]
M3Flag = Annotated[bool | None, BeforeValidator(parse_flag)]
M3Timestamp = Annotated[datetime | None, BeforeValidator(parse_timestamp)]


# --- the contract: per program and transaction, the declared inputs and outputs -------------------
@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str = "string"  # "string" or "number", as the Swagger declares
    length: int | None = None
    required: bool = False


@dataclass(frozen=True)
class TransactionSpec:
    program: str
    transaction: str
    inputs: Mapping[str, FieldSpec]
    outputs: tuple[str, ...] = ()


def _field_specs(raw: Any) -> dict[str, FieldSpec]:
    """Inputs as a list of `{name, type, length, required}` or as a mapping name -> spec."""
    items = raw.items() if isinstance(raw, Mapping) else ((None, spec) for spec in raw or ())
    specs = {}
    for key, spec in items:
        if isinstance(spec, str):  # a bare field name
            spec = {"name": spec}
        name = spec.get("name") or key
        length = spec.get("length")
        specs[name] = FieldSpec(
            name=name,
            type=spec.get("type", "string"),
            length=int(length) if length not in (None, "") else None,
            required=bool(spec.get("required", False)),
        )
    return specs


def _outputs(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, Mapping):
        return tuple(raw)
    return tuple(item if isinstance(item, str) else item["name"] for item in raw or ())


def build_contract(data: Mapping[str, Any]) -> dict[tuple[str, str], TransactionSpec]:
    """Index a contract document by (program, transaction).

    Accepts `{"programs": {P: {"transactions": {T: {"inputs": ..., "outputs": ...}}}}}` and the same
    without the `programs` / `transactions` wrappers.
    """
    programs = data.get("programs", data)
    index = {}
    for program, body in programs.items():
        if not isinstance(body, Mapping) or program.startswith(("_", "$")):
            continue
        transactions = body.get("transactions", body)
        for transaction, spec in transactions.items():
            if not isinstance(spec, Mapping) or "inputs" not in spec:
                continue
            index[(program, transaction)] = TransactionSpec(
                program=program,
                transaction=transaction,
                inputs=_field_specs(spec.get("inputs")),
                outputs=_outputs(spec.get("outputs")),
            )
    return index


@cache
def project_contract() -> dict[tuple[str, str], TransactionSpec]:
    """The contract generated from the exported M3 Swagger, or empty while it does not exist yet."""
    if not (CONTRACTS_DIR / f"{CONTRACT_NAME}.json").exists():
        return {}
    return build_contract(load_contract(CONTRACT_NAME))


def transaction_spec(program: str, transaction: str) -> TransactionSpec | None:
    return project_contract().get((program, transaction))


def field_problem(field: FieldSpec, value: str) -> str | None:
    """Why M3 would refuse `value` for `field` by its declared type and length, or None."""
    if field.type == "number" and value:
        if not _NUMBER.match(value):
            return f"{field.name} must be a number, got {value!r}"
        digits = len(value.lstrip("+-").replace(".", ""))
        if field.length is not None and digits > field.length:
            return f"{field.name} has {digits} digits, at most {field.length} allowed"
    elif field.type != "number" and field.length is not None and len(value) > field.length:
        return f"{field.name} is {len(value)} characters long, at most {field.length} allowed"
    return None


def input_problems(
    spec: TransactionSpec, record: Mapping[str, str], *, supplied_later: Iterable[str] = ()
) -> list[str]:
    """What M3 would refuse in `record` (M3 strings): missing, too long, not a number, unknown.

    Company and division are left out of the required check: the client sends them as the
    `cono`/`divi` controls. `supplied_later` names keys a wrapper adds (an order number, a job key).
    """
    exempt = {"CONO", "DIVI", *supplied_later}
    problems = []
    for field in spec.inputs.values():
        value = record.get(field.name, "")
        if field.required and not value and field.name not in exempt:
            problems.append(f"{field.name} is required")
    for name, value in record.items():
        field = spec.inputs.get(name)
        if field is None:
            problems.append(f"{name} is not an input of {spec.program}/{spec.transaction}")
            continue
        problem = field_problem(field, value)
        if problem:
            problems.append(problem)
    return problems


def key_inputs(program: str, transaction: str, record: Mapping[str, str]) -> frozenset[str]:
    """The key inputs of the transaction that `record` fills with a well-formed value.

    Keys are the required inputs (a Get or a list without required inputs: the ones sent, which
    name the record or the records listed, e.g. the payer of ARS200MI/LstInvByDivi), never
    company or division. M3 can only answer such a value with "no record has it".
    """
    spec = transaction_spec(program, transaction)
    if spec is None:
        return frozenset()
    context = {"CONO", "DIVI"}
    keys = [f for f in spec.inputs.values() if f.required and f.name not in context]
    if not keys and transaction.startswith(("Get", "Lst")):
        keys = [f for name, f in spec.inputs.items() if name in record and name not in context]
    return frozenset(
        f.name for f in keys if record.get(f.name) and field_problem(f, record[f.name]) is None
    )
