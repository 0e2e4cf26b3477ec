"""Turn the shop API's error answers (`{"errors": ...}`) into ledgerlink's typed errors."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from ledgerlink.errors import (
    ApiError,
    AuthError,
    MalformedResponse,
    NotFound,
    RateLimited,
    TransientFailure,
    ValidationFailed,
)

SERVICE = "shop"


class ShopAuthError(ApiError, AuthError):
    """The shop refused the access token (HTTP 401/403): check `SHOP_ACCESS_TOKEN` and scopes."""


def parse_json(response: httpx.Response, what: str) -> Any:
    """The body as JSON with every number read as Decimal, so no amount passes through float."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        kind = response.headers.get("content-type") or "no content type"
        raise MalformedResponse(
            SERVICE, f"{what}: expected JSON, got {kind}", status=response.status_code
        ) from exc


def error_message(body: Any) -> tuple[str, str | None]:
    """(message, field) from Shopify's `errors`: a string, a list, or {field: messages}."""
    errors = body.get("errors", body.get("error")) if isinstance(body, dict) else body
    if isinstance(errors, dict) and errors:
        field, messages = next(iter(errors.items()))
        text = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
        return f"{field} {text}" if not text.startswith(str(field)) else text, str(field)
    if isinstance(errors, list) and errors:
        return "; ".join(map(str, errors)), None
    if errors:
        return str(errors), None
    return "no error detail in the response", None


def raise_for_error(response: httpx.Response, what: str) -> Any:
    """The parsed body of a successful answer; the typed error for anything else."""
    status = response.status_code
    if status < 400:
        return parse_json(response, what) if response.content else None
    try:
        body = parse_json(response, what) if response.content else None
    except MalformedResponse:
        body = response.text[:200]
    message, field = error_message(body)
    message = f"{what}: {message}"
    details = body if isinstance(body, dict) else None
    if status in (401, 403):
        raise ShopAuthError(
            SERVICE, f"{message}; check SHOP_ACCESS_TOKEN", status=status, details=details
        )
    kwargs: dict[str, Any] = {"status": status, "field": field, "details": details}
    if status == 404:
        raise NotFound(SERVICE, message, **kwargs)
    if status in (400, 422):
        raise ValidationFailed(SERVICE, message, **kwargs)
    if status == 429:
        raise RateLimited(SERVICE, f"{message}; still limited after every retry", **kwargs)
    if status >= 500:
        raise TransientFailure(SERVICE, f"{message}; the shop kept failing, try later", **kwargs)
    raise ApiError(SERVICE, message, **kwargs)
