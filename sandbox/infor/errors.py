"""M3 error results: the message codes the sandbox answers with, and the two ways they travel.

`MIError` is a program's "not OK" answer: HTTP 200 with the error in `results[n]`.
`RequestError` is a request the MI layer refuses before any program runs: HTTP 400 with the
error at the top level of the body. A `Wording` says how one M3 words a missing record or an
unknown code: the sandbox's own "<field> <value> does not exist", or the reference's
`XIM0002 "Customer number is invalid"` with `W<field>03` ids for code-table checks.
"""

from __future__ import annotations

from http import HTTPStatus

# One code per kind of failure; messages name the field's description, as M3 does.
MANDATORY = "XRE0103"  # mandatory input not entered
TOO_LONG = "XLE0001"  # value longer than the field's length
NOT_NUMERIC = "XNU0001"  # number field that does not parse
DOES_NOT_EXIST = "XIM0002"  # referenced record not found ("Customer number is invalid" family)
ALREADY_EXISTS = "XRE0102"  # duplicate key
BLOCKED = "XBL0001"  # blocked account, statement or record
INVALID = "XVA0001"  # a value M3 would not accept (date, quantity, amount, code)
WRONG_STATUS = "XST0001"  # the record's status does not allow the transaction
NOT_BALANCED = "XBA0001"  # GL batch or statement line whose amounts do not add up
CHANGED = "XCH0001"  # optimistic lock: CHNO given is not the record's change number
COMPANY = "XAU0008"  # "Not authorized for company" (real M3 text)

UNKNOWN_PROGRAM = "XPR0001"
UNKNOWN_TRANSACTION = "XTR0001"
NOT_AVAILABLE = "XTR0002"  # declared in the contract, not served by this environment
UNKNOWN_FIELD = "XFI0001"
BAD_PARAMETER = "XCP0001"
BAD_BODY = "XBU0001"

NOK = "ServerReturnedNOK"
BAD_REQUEST = "InvalidRequest"


class MIError(Exception):
    """A transaction answered NOK (HTTP 200, error in the transaction's result)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def as_result(self) -> dict[str, str]:
        result = {"errorMessage": self.message, "errorCode": self.code, "errorType": NOK}
        if self.field:
            result["errorField"] = self.field
        return result


class RequestError(Exception):
    """The request itself is unusable (HTTP 400, error at the top level)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "errorMessage": self.message,
            "errorCode": self.code,
            "errorType": BAD_REQUEST,
        }
        if self.field:
            body["errorField"] = self.field
        # The envelope keys too, so a client that only reads the envelope still sees a failure.
        body.update(
            results=[],
            wasTerminated=True,
            terminationReason=self.message,
            terminationErrorType=BAD_REQUEST,
            nrOfSuccessfullTransactions=0,
            nrOfNotProcessedTransactions=0,
            nrOfFailedTransactions=1,
        )
        return body


class Unavailable(Exception):
    """The gateway cannot route the transaction at all: this M3 environment does not offer it
    (HTTP 501, or 404). The body is the gateway's, not M3's: `code`, `message`, `detail`."""

    def __init__(self, status: int, program: str, transaction: str) -> None:
        self.status = status
        self.reason = (
            f"Transaction {program}/{transaction} is not available in this M3 environment "
            "(not deployed or not licensed for this tenant)"
        )
        super().__init__(self.reason)

    def body(self) -> dict[str, object]:
        return {
            "code": self.status,
            "message": HTTPStatus(self.status).phrase,
            "detail": self.reason,
        }


class Wording:
    """The sandbox's wording: one id, the field's description and the value, for both cases."""

    name = "sandbox"

    def missing_record(self, field: str, label: str, value: str) -> MIError:
        """The key of a Get/Chg/Dlt, or a record an Add refers to, does not exist."""
        return MIError(DOES_NOT_EXIST, f"{label} {value} does not exist", field)

    def unknown_code(self, field: str, label: str, value: str) -> MIError:
        """A code the tenant's tables do not hold (template, warehouse, order type, ...)."""
        return self.missing_record(field, label, value)


class ReferenceWording(Wording):
    """As the reference quotes M3: a missing record "is invalid" (the value is not repeated);
    a code-table check answers its own message id, `W` + field + `03` ("does not exist")."""

    name = "reference"

    def missing_record(self, field: str, label: str, value: str) -> MIError:
        return MIError(DOES_NOT_EXIST, f"{label} is invalid", field)

    def unknown_code(self, field: str, label: str, value: str) -> MIError:
        message_id = CODE_MESSAGE_IDS.get(field, f"W{field}03")
        return MIError(message_id, f"{label} {value} does not exist", field)


# Message ids M3 uses for "<field> &1 does not exist" where public catalogues show them.
CODE_MESSAGE_IDS = {"FACI": "WFAC303", "WHLO": "WWH0103"}
WORDINGS: dict[str, Wording] = {w.name: w for w in (Wording(), ReferenceWording())}


def missing(field: str, label: str) -> MIError:
    return MIError(MANDATORY, f"{label} must be entered", field)


def duplicate(field: str, label: str, value: str) -> MIError:
    return MIError(ALREADY_EXISTS, f"{label} {value} already exists", field)


def invalid(field: str, label: str, value: str, why: str = "is invalid") -> MIError:
    return MIError(INVALID, f"{label} {value} {why}", field)
