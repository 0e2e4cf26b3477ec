"""Keeps secrets out of logs, errors and exceptions.

Two nets: known secret *values* registered at run time (tokens, client secrets, the ION service
key) are replaced wherever they appear, and values under secret-looking *keys* are masked in
URLs, form bodies, JSON and headers even when they were never registered.
"""

from __future__ import annotations

import re
import threading

MASK = "***"

SECRET_KEYS = (
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
    "verifier",
    "sask",
    "saak",
    "cs",
    "token",
    "authorization",
    "x-shopify-access-token",
)

# `code` (the OAuth authorization code) is secret in URLs and forms, but in JSON it is a currency.
FORM_ONLY_SECRET_KEYS = ("code",)


def _alternation(keys: tuple[str, ...]) -> str:
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))


_KEYS = _alternation(SECRET_KEYS)
_FORM_KEYS = _alternation(SECRET_KEYS + FORM_ONLY_SECRET_KEYS)
_PATTERNS = (
    # JSON / Python reprs: "access_token": "abc" or 'access_token': 'abc'
    re.compile(rf"""(?i)(["'](?:{_KEYS})["']\s*:\s*["'])([^"']+)(["'])"""),
    # query strings and form bodies: access_token=abc&
    re.compile(rf"(?i)(\b(?:{_FORM_KEYS})=)([^&\s\"']+)()"),
    # headers: Authorization: Bearer abc
    re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=-]+)()"),
    re.compile(r"(?i)(\bbasic\s+)([A-Za-z0-9+/=]+)()"),
)

_known: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so it is masked wherever it shows up later."""
    if value and len(value) >= 6:
        with _lock:
            _known.add(value)


def redact(text: str) -> str:
    """Return `text` with every known secret and every secret-keyed value masked."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
    return text
