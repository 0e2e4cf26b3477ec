"""Error bodies per FreshBooks API family (accounting, events, OAuth/identity) as exceptions.

Only errno 1012 (not found) and 1003 (unauthorized) appear in the reference; the other errno
values are the sandbox's own, kept stable so tests and connectors can match on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

ERRNO_UNAUTHORIZED = 1003
ERRNO_NOT_FOUND = 1012
ERRNO_REQUIRED = 2001
ERRNO_INVALID = 2002
ERRNO_BAD_REQUEST = 2000
ERRNO_DUPLICATE = 2003
ERRNO_RATE_LIMITED = 1029
ERRNO_SERVER = 1500

UNAUTHORIZED_MESSAGE = (
    "The server could not verify that you are authorized to access the URL requested."
)
RESOURCE_NOT_FOUND_MESSAGE = "Requested resource could not be found."
EVENTS_VALIDATION_MESSAGE = (
    "The request was well-formed but was unable to be followed due to semantic errors."
)

# google.rpc codes for the newer accounting error style (sent when X-API-VERSION is present).
RPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 422: 3, 429: 8, 500: 13, 503: 14}


@dataclass(frozen=True)
class FieldError:
    errno: int
    message: str
    field: str | None = None
    object: str | None = None
    value: str | None = None


class AccountingError(Exception):
    """An error from `/accounting/...` (and the identity endpoint's accounting-style callers)."""

    def __init__(self, status: int, *errors: FieldError) -> None:
        super().__init__(errors[0].message if errors else f"HTTP {status}")
        self.status = status
        self.errors = list(errors)

    def body(self, *, new_style: bool = False) -> dict:
        if not new_style:
            return {"response": {"errors": [_legacy(e) for e in self.errors]}}
        return {
            "code": RPC_CODES.get(self.status, 2),
            "message": f"Request failed with status_code: {self.status}",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": str(e.errno),
                    "domain": "accounting.api.freshbooks.com",
                    "metadata": {
                        "object": e.object or "",
                        "message": e.message,
                        "value": "" if e.value is None else e.value,
                        "field": e.field or "",
                    },
                }
                for e in self.errors
            ],
        }


def _legacy(error: FieldError) -> dict:
    return {
        "errno": error.errno,
        "field": error.field,
        "message": error.message,
        "object": error.object,
        "value": error.value,
    }


def not_found(obj: str, id_field: str, value: object) -> AccountingError:
    label = obj.replace("_", " ").capitalize()
    return AccountingError(
        404, FieldError(ERRNO_NOT_FOUND, f"{label} not found.", id_field, obj, str(value))
    )


def invalid(obj: str, field_name: str, message: str, value: object = None) -> AccountingError:
    text = None if value is None else str(value)
    return AccountingError(422, FieldError(ERRNO_INVALID, message, field_name, obj, text))


def required(obj: str, field_name: str) -> AccountingError:
    return AccountingError(
        422, FieldError(ERRNO_REQUIRED, f"Field '{field_name}' is required.", field_name, obj)
    )


def bad_request(
    message: str, field_name: str | None = None, value: object = None
) -> AccountingError:
    text = None if value is None else str(value)
    return AccountingError(400, FieldError(ERRNO_BAD_REQUEST, message, field_name, None, text))


def unsupported(obj: str, status: int) -> AccountingError:
    """An entity this account cannot reach: no such endpoint (404) or not on its plan (403)."""
    if status == 403:
        label = obj.replace("_", " ")
        return AccountingError(
            403,
            FieldError(
                ERRNO_UNAUTHORIZED,
                f"Your FreshBooks plan does not include {label}s: upgrade to use this feature.",
                None,
                obj,
            ),
        )
    return AccountingError(404, FieldError(ERRNO_NOT_FOUND, RESOURCE_NOT_FOUND_MESSAGE))


def unauthorized() -> AccountingError:
    return AccountingError(401, FieldError(ERRNO_UNAUTHORIZED, UNAUTHORIZED_MESSAGE))


@dataclass
class EventsError(Exception):
    """An error from `/events/...` (webhook callbacks): `{"errno", "message"[, "details"]}`."""

    status: int
    errno: int
    message: str
    details: list[str] | None = field(default=None)

    def body(self) -> dict:
        body: dict = {"errno": self.errno, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


def events_not_found() -> EventsError:
    return EventsError(404, 404, "Requested resource could not be found.")


def events_unauthorized() -> EventsError:
    return EventsError(
        401, 401, "invalid_token: The request token failed to authenticate or validate."
    )


def events_invalid(details: list[str]) -> EventsError:
    # The reference answers validation with HTTP 400 and errno 422.
    return EventsError(400, 422, EVENTS_VALIDATION_MESSAGE, details)


@dataclass
class OAuthError(Exception):
    """OAuth / identity style: `{"error": ..., "error_description": ...}`."""

    status: int
    error: str
    description: str

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def identity_unauthenticated() -> OAuthError:
    return OAuthError(401, "unauthenticated", "This action requires authentication to continue.")


def fault_body(status: int) -> tuple[str, bytes]:
    """Body of an injected fault: gateway errors come from the proxy as HTML, as real ones do
    (the SDKs treat them as "Failed to parse response"); the rest in the accounting shape."""
    if status in (502, 503, 504):
        title = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}[status]
        page = f"<html><head><title>{status} {title}</title></head><body>{title}</body></html>"
        return "text/html; charset=utf-8", page.encode()
    if status == 429:
        error = FieldError(ERRNO_RATE_LIMITED, "Too many requests. Please retry later.")
    elif status == 401:
        error = FieldError(ERRNO_UNAUTHORIZED, UNAUTHORIZED_MESSAGE)
    else:
        error = FieldError(ERRNO_SERVER, "An unexpected error occurred.")
    return "application/json", json.dumps(AccountingError(status, error).body()).encode()
