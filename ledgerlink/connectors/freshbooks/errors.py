"""Turn FreshBooks error responses (four body shapes by API family) into typed errors."""

from __future__ import annotations

from typing import Any

import httpx

from ledgerlink.errors import (
    ApiError,
    AuthError,
    Conflict,
    MalformedResponse,
    NotFound,
    RateLimited,
    TransientFailure,
    ValidationFailed,
)

SERVICE = "freshbooks"


class FreshBooksAuthError(ApiError, AuthError):
    """FreshBooks refused the token (401), or this request to it (403: a scope or a feature
    the account does not have); keeps the status and FreshBooks' own words."""


def _first_error(body: Any) -> tuple[str, str | None, str | None, Any]:
    """(message, code, field, details) from whichever documented shape `body` has."""
    if not isinstance(body, dict):
        return str(body)[:200], None, None, body
    response = body.get("response")
    if (
        isinstance(response, dict)
        and isinstance(response.get("errors"), list)
        and response["errors"]
    ):
        # legacy accounting: {"response": {"errors": [{"errno", "field", "message", ...}]}}
        first = response["errors"][0]
        return (
            str(first.get("message")),
            _str(first.get("errno")),
            first.get("field"),
            response["errors"],
        )
    if isinstance(body.get("details"), list) and "code" in body:
        # google.rpc style: {"code", "message", "details": [{"reason", "metadata": {...}}]}
        detail = next((d for d in body["details"] if isinstance(d, dict)), {})
        meta = detail.get("metadata") or {}
        message = meta.get("message") or body.get("message")
        return (
            str(message),
            _str(detail.get("reason") or body.get("code")),
            meta.get("field"),
            body["details"],
        )
    if "error" in body and isinstance(body["error"], str):
        # OAuth / identity: {"error", "error_description"}
        return str(body.get("error_description") or body["error"]), body["error"], None, None
    if "errno" in body:
        # events: {"errno", "message", "details"}
        return str(body.get("message")), _str(body["errno"]), None, body.get("details")
    if "message" in body:
        return str(body["message"]), None, None, None
    return "unexpected error body", None, None, body


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def parse_json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise MalformedResponse(
            SERVICE,
            f"{what}: expected JSON, got {response.headers.get('content-type', 'no content type')}",
            status=response.status_code,
        ) from exc


def raise_for_error(response: httpx.Response, what: str) -> Any:
    """Return the parsed body of a successful response; raise the typed error otherwise.

    Old-style accounting errors may arrive with HTTP 200, so a 200 body is checked too.
    """
    if response.status_code == 204:
        return None
    status = response.status_code
    try:
        body = parse_json(response, what) if response.content else None
    except MalformedResponse:
        if status < 400:
            raise
        body = None  # an error page (a proxy's 502, say): the status says what happened
    legacy_errors = (
        isinstance(body, dict)
        and isinstance(body.get("response"), dict)
        and bool(body["response"].get("errors"))
    )
    if status < 400 and not legacy_errors:
        return body
    message, code, field, details = _first_error(body)
    message = f"{what}: {message}"
    kwargs = {"status": status, "code": code, "field": field, "details": details}
    if status in (401, 403):
        raise FreshBooksAuthError(SERVICE, message, **kwargs)
    if status == 404:
        raise NotFound(SERVICE, message, **kwargs)
    if status == 409:
        raise Conflict(SERVICE, message, **kwargs)
    if status == 429:
        raise RateLimited(SERVICE, message, **kwargs)
    if status >= 500:
        raise TransientFailure(SERVICE, message, **kwargs)
    if status in (400, 422) or legacy_errors:
        raise ValidationFailed(SERVICE, message, **kwargs)
    raise ApiError(SERVICE, message, **kwargs)
