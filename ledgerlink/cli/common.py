"""What every command shares: settings, logging, and one-line failures with a non-zero exit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from ledgerlink.errors import LedgerlinkError
from ledgerlink.log import configure_logging
from ledgerlink.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def settings() -> Settings:
    loaded = load_settings()
    configure_logging(loaded.log_level, loaded.log_format)
    return loaded


def run_guarded(command: F) -> F:
    """Turn our typed errors into `error: <reason>` and exit code 1, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LedgerlinkError as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def table(rows: list[tuple[Any, ...]], headers: tuple[str, ...]) -> str:
    """Rows aligned in columns, numbers right-aligned."""
    cells = [tuple(str(c) for c in headers), *[tuple(str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [
        all(str(row[i]).replace(".", "").isdigit() for row in rows) for i in range(len(headers))
    ]
    lines = []
    for n, row in enumerate(cells):
        parts = [
            c.rjust(w) if numeric[i] and n else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
