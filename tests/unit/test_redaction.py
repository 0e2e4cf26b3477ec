"""Secrets never leave in a log line or an error message."""

import logging

from ledgerlink.errors import ApiError
from ledgerlink.log import RedactingFilter, TextFormatter
from ledgerlink.redaction import MASK, redact, register_secret


def test_secret_keys_are_masked_in_urls_forms_json_and_headers():
    text = (
        "POST /token?code=abc123&state=ok body=grant_type=refresh_token&refresh_token=r3fr3sh"
        '&client_secret=s3cr3t {"access_token": "tok-value", "sask": "svc-secret", "code": "USD"} '
        "Authorization: Bearer eyJhbGciOi.x.y"
    )
    cleaned = redact(text)
    for secret in ("abc123", "r3fr3sh", "s3cr3t", "tok-value", "svc-secret", "eyJhbGciOi.x.y"):
        assert secret not in cleaned
    assert "state=ok" in cleaned
    assert '"code": "USD"' in cleaned  # a currency code in JSON is not a secret


def test_registered_values_are_masked_anywhere():
    register_secret("very-private-verifier-123")
    assert redact("signature key very-private-verifier-123 used") == f"signature key {MASK} used"


def test_errors_carry_no_registered_secret():
    register_secret("leaky-token-987654")
    err = ApiError("freshbooks", "rejected token leaky-token-987654", status=401)
    assert "leaky-token-987654" not in str(err)


def test_log_records_are_redacted_in_message_args_and_extras():
    register_secret("extra-secret-value-1")
    record = logging.LogRecord(
        "ledgerlink.test", logging.INFO, __file__, 1, "sent %s", ("access_token=abc",), None
    )
    record.url = "https://x/?token=extra-secret-value-1"
    RedactingFilter().filter(record)
    line = TextFormatter().format(record)
    assert "abc" not in line.split("access_token=")[1][:3]
    assert "extra-secret-value-1" not in line
