"""Typed M3 errors that keep M3's own errorCode, errorField, errorMessage and errorType."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from ledgerlink.errors import (
    ApiError,
    Conflict,
    NotFound,
    RateLimited,
    TransientFailure,
    Unavailable,
    ValidationFailed,
)
from ledgerlink.redaction import redact

SERVICE = "infor"

# Transactions that name an existing record by their key inputs (a list names the parent whose
# records it lists: a customer's orders, an order's lines, a year's invoices).
KEYED_PREFIXES = ("Get", "Lst", "Chg", "Dlt", "Del")
# Company and division are the caller's context, never the record looked up: an error on them
# ("Not authorized for company 0") is a setting to fix, not a missing record.
CONTEXT_FIELDS = frozenset({"CONO", "DIVI"})
# M3's "is invalid" message id, which real M3 also gives for a key that names no record
# (`XIM0002 "Customer number is invalid"` on CRS610MI/GetBasicData).
INVALID_MESSAGE_ID = "XIM0002"


class M3Error(ApiError):
    """M3 refused a transaction (in `results[]` on HTTP 200, or at the top level on HTTP 400),
    or the ION gateway refused the call; `str()` reads `PROGRAM/TRANSACTION: M3's text [code,
    field FLD]` in M3's own words."""

    def __init__(
        self,
        program: str,
        transaction: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        error_type: str | None = None,
        cfg: str | None = None,
    ) -> None:
        self.program = program
        self.transaction = transaction
        self.error_code = code
        self.error_field = field
        self.error_type = error_type
        self.error_cfg = cfg
        super().__init__(
            SERVICE, message or "failed without a message", status=status, code=code, field=field
        )
        self.api_message = redact(message)

    def describe(self, message: str) -> str:
        # 200 and 400 are how M3 always answers; any other status is part of what happened.
        tags = [tag for tag in (self.code, self.field and f"field {self.field}") if tag]
        if self.status not in (None, 200, 400):
            tags.append(f"HTTP {self.status}")
        where = f" [{', '.join(tags)}]" if tags else ""
        return f"{self.program}/{self.transaction}: {message}{where}"

    @property
    def error_message(self) -> str:
        return self.api_message


class M3NotFound(M3Error, NotFound):
    """The record a Get/Chg/Dlt (or the parent a list) named does not exist."""


class M3AlreadyExists(M3Error, Conflict):
    """An Add hit an existing key (`XRE0104`, "already exists"): look the record up instead."""


class M3ValidationError(M3Error, ValidationFailed):
    """M3 refused an input field (missing, invalid, unknown reference such as a GL account)."""


class M3Unavailable(M3Error, Unavailable):
    """This M3 does not serve the program or transaction to this account (HTTP 403, 404 or 501,
    or M3's own "does not exist" for the program or transaction): a definite refusal."""


class M3ServerError(M3Error, TransientFailure):
    """M3 or the gateway failed (5xx) on a read, through every retry the policy allows."""


class M3RateLimited(M3Error, RateLimited):
    """The gateway still answered 429 after every retry the policy allows."""


class M3InputRejected(ValidationFailed):
    """Caught before sending: the record breaks the contract (required, length, type)."""

    def __init__(self, program: str, transaction: str, problems: Sequence[str]) -> None:
        self.program = program
        self.transaction = transaction
        self.problems = list(problems)
        first_field = problems[0].split(" ", 1)[0] if problems else None
        super().__init__(
            SERVICE,
            f"{program}/{transaction} not sent: {'; '.join(problems)}",
            field=first_field,
        )

    def describe(self, message: str) -> str:
        return message  # each problem already names its field


def names_a_record(transaction: str) -> bool:
    return transaction.startswith(KEYED_PREFIXES)


def _kind(code: str) -> str:
    """The kind digits of a `W<field><nn><kind>` message id (`WCU0103` -> "03"), else ""."""
    return code[-2:] if code.startswith("W") and len(code) == 7 and code[-4:].isdigit() else ""


def _mentions(text: str, *names: str) -> bool:
    words = set(re.findall(r"[a-z0-9]+", text))
    return any(name and name.lower() in words for name in names)


def error_class(
    transaction: str,
    code: str | None,
    message: str | None,
    field: str | None,
    *,
    key_fields: Collection[str] = (),
    program: str = "",
) -> type[M3Error]:
    """Pick the typed error from M3's field and message id first, then from its text.

    `key_fields` are the transaction's key inputs that the request carried in a well-formed
    value (see `M3Client`). M3 words a missing record differently by release and language
    ("Customer X does not exist", `XIM0002 "Customer number is invalid"`), so on a transaction
    that names a record (Get, Lst, Chg, Dlt) an error on such a key means the record is not
    there, whatever the text; `XIM0002` without a field on such a transaction too. An error
    with no field that names the program or the transaction itself is about the transaction,
    not a record: this M3 does not serve it. Message ids follow `W<field><nn><kind>` (kind 01
    "is invalid", 02 "must be entered", 03 "does not exist", 04 "already exists") plus the
    record-level `XRE0103`/`XRE0104`. Only then does the text decide: "does not exist" means
    the named record is missing, except for an Add or on an input that is not a key, where it
    is a wrong reference inside the input.
    """
    text = (message or "").lower()
    code = (code or "").strip().upper()
    kind = _kind(code)
    keyed = names_a_record(transaction)
    if "already exist" in text or code == "XRE0104" or kind == "04":
        return M3AlreadyExists
    if "must be entered" in text or kind == "02":
        return M3ValidationError
    if keyed and field and field in key_fields:
        return M3NotFound
    if keyed and not field and key_fields and code == INVALID_MESSAGE_ID:
        return M3NotFound
    if not field and _mentions(text, program, transaction):
        return M3Unavailable
    if "does not exist" in text or "not found" in text or code == "XRE0103" or kind == "03":
        if transaction.startswith("Add") or (field and key_fields and field not in key_fields):
            return M3ValidationError
        return M3NotFound
    if "is invalid" in text or field or kind == "01":
        return M3ValidationError
    return M3Error
