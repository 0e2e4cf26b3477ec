"""The DuckDB warehouse: where it is, and the one-writer lock every writing command takes."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings


class WarehouseBusy(LedgerlinkError):
    """Another process is writing the warehouse (DuckDB allows one writer per file)."""


@contextmanager
def writer_lock(settings: Settings, purpose: str) -> Iterator[Path]:
    """Hold the warehouse's writer lock for `purpose`, or fail at once with a clear message."""
    path = settings.warehouse
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise WarehouseBusy(
                f"warehouse busy: {holder} is writing {path}; try again when it finishes"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{purpose} (pid {os.getpid()})")
        handle.flush()
        yield path
    finally:
        handle.close()


def connect(settings: Settings, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse; close it before dlt or dbt need the file."""
    return duckdb.connect(str(settings.warehouse), read_only=read_only)
