"""Shopify's error bodies (`{"errors": ...}`) and the exceptions the routes turn into them."""

from __future__ import annotations

import json
from typing import Any

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
STATUS_MESSAGES = {
    400: "Bad Request",
    401: INVALID_TOKEN,
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    422: "Unprocessable Entity",
    423: "Locked",
    429: "Exceeded 2 calls per second for api client. Reduce request rates to resume "
    "uninterrupted service.",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ShopError(Exception):
    """An error answer: `status` and the value of `errors` (a string or {field: messages})."""

    status = 400

    def __init__(self, errors: Any) -> None:
        self.errors = errors
        super().__init__(str(errors))


class BadRequest(ShopError):
    status = 400


class Unauthorized(ShopError):
    status = 401

    def __init__(self) -> None:
        super().__init__(INVALID_TOKEN)


class NotFound(ShopError):
    status = 404

    def __init__(self) -> None:
        super().__init__("Not Found")


class Unprocessable(ShopError):
    status = 422


def error_body(status: int) -> tuple[str, bytes]:
    """The body Shopify sends with a bare status (used for injected faults too)."""
    message = STATUS_MESSAGES.get(status, f"HTTP {status}")
    return "application/json; charset=utf-8", json.dumps({"errors": message}).encode()
