"""Typed errors shared by every connector; their text never carries a secret."""

from __future__ import annotations

from ledgerlink.redaction import redact


class LedgerlinkError(Exception):
    """Base class: `str(err)` is one line that says what went wrong and what to do next."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class ConfigurationError(LedgerlinkError):
    """A setting is missing or wrong."""


class AuthError(LedgerlinkError):
    """Authentication failed."""


class ReauthorizationRequired(AuthError):
    """The stored grant is gone or revoked: only a person can fix it, with `command`."""

    def __init__(self, service: str, reason: str, command: str) -> None:
        self.service = service
        self.command = command
        super().__init__(f"{service}: {reason}. Run `{command}` to authorize again.")


class ApiError(LedgerlinkError):
    """An API answered with an error; keeps the API's own code, field and message."""

    def __init__(
        self,
        service: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        details: object = None,
    ) -> None:
        self.service = service
        self.status = status
        self.code = code
        self.field = field
        self.api_message = redact(message)
        self.details = details
        super().__init__(self.describe(message))

    def describe(self, message: str) -> str:
        """The one line `str(err)` gives; a connector may word it the way its API reads."""
        where = f" (field {self.field})" if self.field else ""
        tag = f" [{self.code}]" if self.code else ""
        http = f"HTTP {self.status}: " if self.status else ""
        return f"{self.service}: {http}{message}{tag}{where}"


class NotFound(ApiError):
    """The object does not exist in the target."""


class ValidationFailed(ApiError):
    """The API refused the input (missing or invalid fields)."""


class Unavailable(ApiError):
    """The API does not serve this request to this account (HTTP 403, 404 or 501 on a list, a
    program or transaction the ERP does not offer): sending it again cannot succeed."""


class Conflict(ApiError):
    """The API refused a duplicate (e.g. FreshBooks 409 on an invoice number)."""


class RateLimited(ApiError):
    """Still rate limited after every retry the policy allows."""


class TransientFailure(ApiError):
    """A transient failure (5xx, dropped connection, timeout) outlasted the retry budget."""


class MalformedResponse(ApiError):
    """The API answered with a body we cannot read (not JSON, or not the documented shape)."""


class OutcomeUnknown(LedgerlinkError):
    """A non-idempotent write may or may not have happened: look the record up before retrying."""

    def __init__(self, service: str, what: str, cause: BaseException) -> None:
        self.service = service
        self.cause = cause
        super().__init__(
            f"{service}: outcome of {what} is unknown ({type(cause).__name__}: {cause}); "
            "look the record up by its natural key before trying again"
        )

    @property
    def server_answered(self) -> bool:
        """The server sent an answer (a 5xx): it has finished with the request, so a look-up
        now sees the final state. After a timeout or a dropped connection it may still be
        working on it, and a look-up now could miss a write that lands a moment later."""
        return isinstance(self.cause, ApiError)
