"""Typed M3 errors that keep M3's own errorCode, errorField, errorMessage and errorType."""

from __future__ import annotations

from collections.abc import Sequence

from ledgerlink.errors import ApiError, Conflict, NotFound, ValidationFailed
from ledgerlink.redaction import redact

SERVICE = "infor"


class M3Error(ApiError):
    """M3 refused a transaction (in `results[]` on HTTP 200, or at the top level on HTTP 400)."""

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
            SERVICE,
            f"{program}/{transaction}: {message or 'failed without a message'}",
            status=status,
            code=code,
            field=field,
        )
        self.api_message = redact(message)

    @property
    def error_message(self) -> str:
        return self.api_message


class M3NotFound(M3Error, NotFound):
    """The record a Get/Chg/Dlt named does not exist (`W..0203`, `XRE0103`, "does not exist")."""


class M3AlreadyExists(M3Error, Conflict):
    """An Add hit an existing key (`XRE0104`, "already exists"): look the record up instead."""


class M3ValidationError(M3Error, ValidationFailed):
    """M3 refused an input field (missing, invalid, unknown reference such as a GL account)."""


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


def error_class(
    transaction: str, code: str | None, message: str | None, field: str | None
) -> type[M3Error]:
    """Pick the typed error from M3's message text, then from its message id.

    The text decides first because it is what M3 guarantees to say; ids follow `W<field><nn><kind>`
    (kind 03 "does not exist", 04 "already exists", 01 "is invalid", 02 "must be entered") plus
    the record-level `XRE0103`/`XRE0104`. "Does not exist" means the named record is missing for
    a Get, Chg, Dlt, ...; for an Add it means a reference inside the input is wrong.
    """
    text = (message or "").lower()
    code = (code or "").strip().upper()
    if "already exist" in text:
        return M3AlreadyExists
    if "does not exist" in text or "not found" in text:
        return M3ValidationError if transaction.startswith("Add") else M3NotFound
    if "must be entered" in text or "is invalid" in text or field:
        return M3ValidationError
    if code == "XRE0104" or (code.startswith("W") and code.endswith("04")):
        return M3AlreadyExists
    if code == "XRE0103" or (code.startswith("W") and code.endswith("03")):
        return M3ValidationError if transaction.startswith("Add") else M3NotFound
    return M3Error
