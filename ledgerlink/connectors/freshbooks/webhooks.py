"""FreshBooks webhook signatures: HMAC-SHA256 keyed by the callback's verifier.

FreshBooks signs `json.dumps` of the form fields (a dict of strings, in the order received,
Python's default separators) and sends the base64 digest in `X-FreshBooks-Hmac-SHA256`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable
from urllib.parse import parse_qsl

SIGNATURE_HEADER = "X-FreshBooks-Hmac-SHA256"


def signed_message(fields: Iterable[tuple[str, str]]) -> bytes:
    return json.dumps({key: str(value) for key, value in fields}).encode()


def sign_webhook(verifier: str, fields: Iterable[tuple[str, str]]) -> str:
    digest = hmac.new(verifier.encode(), signed_message(fields), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def form_fields(raw_body: bytes) -> list[tuple[str, str]]:
    """The form fields of a delivery, in the order they were sent."""
    return parse_qsl(raw_body.decode(), keep_blank_values=True)


def verify_webhook(verifier: str, raw_body: bytes, signature: str | None) -> bool:
    """True when `signature` is FreshBooks' HMAC of this form-encoded body."""
    if not signature or not verifier:
        return False
    expected = sign_webhook(verifier, form_fields(raw_body))
    return hmac.compare_digest(expected, signature.strip())
