"""The `ledgerlink` command line. `app` is loaded on first use, so that code importing one
command's module (the Dagster code location imports `ledgerlink.cli.push`) does not import
every other command with it."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        from ledgerlink.cli.main import app

        return app
    raise AttributeError(name)


__all__ = ["app"]
