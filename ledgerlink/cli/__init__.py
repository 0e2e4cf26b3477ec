"""The `ledgerlink` command line. `app` is loaded on first use, and each command's module when
that command runs (`ledgerlink/cli/main.py`), so that importing one module of the package does
not import every command with it."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        from ledgerlink.cli.main import app

        return app
    raise AttributeError(name)


__all__ = ["app"]
