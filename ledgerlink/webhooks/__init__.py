"""The webhook receiver: FreshBooks callbacks and shop webhooks into a SQLite inbox.

`Inbox` is what the Dagster sensor drains (`events_after(cursor)`), never the DuckDB warehouse;
`create_app` (in `app.py`) is the HTTP side, imported lazily so a sensor reading the inbox does
not pull in the web stack.
"""

from __future__ import annotations

from typing import Any

from ledgerlink.webhooks.inbox import Inbox, InboxEvent

__all__ = ["Inbox", "InboxEvent", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from ledgerlink.webhooks.app import create_app

        return create_app
    raise AttributeError(name)
