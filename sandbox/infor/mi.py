"""MI REST v2 request and response shapes: controls, contract checks, records, the envelope.

Control parameters come as query or matrix parameters; inputs are checked against the contract
(mandatory, length, numeric); records are shaped to the transaction's declared outputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sandbox.infor import errors
from sandbox.infor.contract import Transaction
from sandbox.infor.errors import MIError, RequestError
from sandbox.infor.values import (
    DATE_FIELDS,
    DATE_FORMATS,
    DEFAULT_DATE_FORMAT,
    digit_count,
    format_date,
    parse_decimal,
)

DEFAULT_MAXRECS = 100
FORMATS = ("PRETTY", "COMPACT", "UNFORMATTED")
# Control parameter names as clients send them (Odin spells `excludempty`), lower-cased.
CONTROL_NAMES = {
    "cono": "cono",
    "divi": "divi",
    "lanc": "lanc",
    "locale": "locale",
    "timezone": "timezone",
    "maxrecs": "maxrecs",
    "dateformat": "dateformat",
    "excludeempty": "excludeempty",
    "excludempty": "excludeempty",
    "righttrim": "righttrim",
    "returncols": "returncols",
    "format": "format",
    "extendedresult": "extendedresult",
    "metadata": "metadata",  # a v1 option Odin also sends on v2; accepted, no effect
}


@dataclass
class Controls:
    """The request's control parameters, validated."""

    cono: str | None = None
    divi: str | None = None
    maxrecs: int | None = DEFAULT_MAXRECS  # None = unlimited
    dateformat: str = DEFAULT_DATE_FORMAT
    excludeempty: bool = False
    righttrim: bool = True
    returncols: tuple[str, ...] | None = None
    format: str = "PRETTY"
    extendedresult: bool = False


def split_path(tail: str) -> tuple[list[str], dict[str, str]]:
    """'v2/execute/CRS610MI/LstByNumber;maxrecs=5' -> segment names and the matrix parameters."""
    names: list[str] = []
    matrix: dict[str, str] = {}
    for segment in tail.strip("/").split("/"):
        name, *params = segment.split(";")
        names.append(name)
        for param in params:
            if not param:
                continue
            key, sep, value = param.partition("=")
            if not sep:
                raise RequestError(errors.BAD_PARAMETER, f"Matrix parameter {key!r} has no value")
            matrix[key] = value
    return names, matrix


def split_params(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    """Query or matrix pairs -> (control parameters, field inputs). Upper-case names are fields."""
    controls: dict[str, str] = {}
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name.startswith("_"):
            continue  # cache busters such as Odin's `_rid`
        if name.isupper():
            if name in fields:
                raise RequestError(errors.BAD_PARAMETER, f"Field {name} is given twice", name)
            fields[name] = value
            continue
        key = CONTROL_NAMES.get(name.lower())
        if key is not None:
            controls[key] = value
    return controls, fields


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise RequestError(
            errors.BAD_PARAMETER, f"Parameter {name} must be true or false, not {value!r}"
        )
    return lowered == "true"


def parse_controls(raw: dict[str, str]) -> Controls:
    controls = Controls()
    if raw.get("cono"):
        if not raw["cono"].isdigit():
            raise RequestError(
                errors.BAD_PARAMETER, f"Parameter cono must be a number, not {raw['cono']!r}"
            )
        controls.cono = raw["cono"]
    if raw.get("divi"):
        controls.divi = raw["divi"]
    if "maxrecs" in raw:
        value = raw["maxrecs"].strip()
        if not value.isdigit():
            raise RequestError(
                errors.BAD_PARAMETER, f"Parameter maxrecs must be 0 or more, not {value!r}"
            )
        controls.maxrecs = int(value) or None
    if "dateformat" in raw:
        if raw["dateformat"] not in DATE_FORMATS:
            allowed = ", ".join(DATE_FORMATS)
            raise RequestError(
                errors.BAD_PARAMETER, f"Parameter dateformat must be one of {allowed}"
            )
        controls.dateformat = raw["dateformat"]
    for name in ("excludeempty", "righttrim", "extendedresult"):
        if name in raw:
            setattr(controls, name, _flag(name, raw[name]))
    if raw.get("returncols"):
        controls.returncols = tuple(
            col.strip() for col in raw["returncols"].split(",") if col.strip()
        )
    if "format" in raw:
        if raw["format"].upper() not in FORMATS:
            raise RequestError(
                errors.BAD_PARAMETER, f"Parameter format must be one of {', '.join(FORMATS)}"
            )
        controls.format = raw["format"].upper()
    return controls


def unknown_fields(transaction: Transaction, record: dict[str, str]) -> list[str]:
    return [name for name in record if name not in transaction.inputs]


def unknown_field_message(transaction: Transaction, name: str) -> str:
    return f"Field {name} is not an input of {transaction.program}/{transaction.name}"


def check_inputs(transaction: Transaction, record: dict[str, str]) -> dict[str, str]:
    """The non-blank inputs, checked as M3 does (mandatory, length, numeric); first failure wins."""
    given: dict[str, str] = {}
    for name, field in transaction.inputs.items():
        value = record.get(
            name, ""
        ).rstrip()  # M3 fields are blank-padded: trailing blanks mean nothing
        if not value.strip():
            if field.required:
                raise errors.missing(name, field.description)
            continue
        if field.is_number:
            try:
                parse_decimal(value)
            except ValueError:
                raise MIError(
                    errors.NOT_NUMERIC, f"{field.description} must be numeric, not '{value}'", name
                ) from None
            if digit_count(value) > field.length:
                raise MIError(
                    errors.TOO_LONG,
                    f"{field.description} has more than {field.length} digits",
                    name,
                )
        elif len(value) > field.length:
            raise MIError(
                errors.TOO_LONG,
                f"{field.description} must not be longer than {field.length} characters",
                name,
            )
        given[name] = value
    return given


def shape_records(
    transaction: Transaction, records: list[dict[str, str]], controls: Controls
) -> list[dict[str, str]]:
    """Each record as the transaction declares it: every output field, in order, as a string."""
    columns = list(transaction.outputs)
    if controls.returncols:
        wanted = set(controls.returncols)
        columns = [name for name in columns if name in wanted]
    shaped = []
    for record in records:
        out: dict[str, str] = {}
        for name in columns:
            value = record.get(name, "")
            value = "" if value is None else str(value)
            if controls.dateformat != DEFAULT_DATE_FORMAT and name in DATE_FIELDS:
                value = format_date(value, controls.dateformat)
            if controls.excludeempty and not value.strip():
                continue
            if not controls.righttrim:
                value = value.ljust(transaction.outputs[name].length)
            out[name] = value
        shaped.append(out)
    return shaped


def ok_result(name: str, records: list[dict[str, str]], parameters: dict[str, str] | None) -> dict:
    result: dict = {"transaction": name, "records": records}
    if parameters is not None:
        result["parameters"] = parameters
    return result


def error_result(name: str, error: MIError, parameters: dict[str, str] | None) -> dict:
    result: dict = {"transaction": name, **error.as_result(), "records": []}
    if parameters is not None:
        result["parameters"] = parameters
    return result


def not_processed_result(name: str) -> dict:
    return {"transaction": name, "notProcessed": True, "records": []}


def envelope(results: list[dict], bulk_job_id: str, termination: MIError | None = None) -> dict:
    failed = sum(1 for r in results if "errorMessage" in r)
    skipped = sum(1 for r in results if r.get("notProcessed"))
    body: dict = {
        "results": results,
        "wasTerminated": termination is not None,
        "nrOfSuccessfullTransactions": len(results) - failed - skipped,
        "nrOfNotProcessedTransactions": skipped,
        "nrOfFailedTransactions": failed,
        "bulkJobId": bulk_job_id,
    }
    if termination is not None:
        body["terminationReason"] = termination.message
        body["terminationErrorType"] = errors.NOK
    return body
