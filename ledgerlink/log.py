"""Structured logging for every ledgerlink process, with secrets redacted on the way out."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from ledgerlink.redaction import redact

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Masks secrets in the message and in every structured field of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _RESERVED and isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a caller passed with `extra=`."""
    return {k: v for k, v in vars(record).items() if k not in _RESERVED}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **fields_of(record),
        }
        if record.exc_text:
            payload["exception"] = record.exc_text
        return redact(json.dumps(payload, default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in fields_of(record).items())
        line = f"{record.levelname.lower():<7} {record.name}: {record.getMessage()}"
        if extras:
            line = f"{line} {extras}"
        if record.exc_text:
            line = f"{line}\n{record.exc_text}"
        return redact(line)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is now (test runners and CLIs swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Install one redacting handler on the `ledgerlink` logger tree."""
    root = logging.getLogger("ledgerlink")
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.propagate = False
    # dlt warns about every all-null column it cannot type; our summaries say what matters.
    logging.getLogger("dlt").setLevel(logging.ERROR)


def get_logger(name: str) -> logging.Logger:
    logger = logging.getLogger(name if name.startswith("ledgerlink") else f"ledgerlink.{name}")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger
