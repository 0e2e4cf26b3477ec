"""Paging helpers for the FreshBooks source: windows from the cursor, deleted records too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from ledgerlink.connectors.freshbooks import FreshBooksClient
from ledgerlink.connectors.freshbooks.client import Search
from pipelines.freshbooks.settings import OVERLAP_DAYS, Entity


def window_start(last_value: str | None) -> date | None:
    """The first Eastern day to ask for, given the newest naive-Eastern cursor already loaded."""
    if not last_value:
        return None
    return datetime.fromisoformat(last_value).date() - timedelta(days=OVERLAP_DAYS)


def pages(
    client: FreshBooksClient, entity: Entity, account_id: str, updated_min: date | None
) -> Iterator[list[dict[str, Any]]]:
    """Pages of records (active and archived, then deleted), each tagged with `account_id`."""
    visibilities: tuple[int | None, ...] = (None, 1) if entity.soft_delete else (None,)
    for vis_state in visibilities:
        search = Search(updated_min=updated_min, vis_state=vis_state)
        for page in client.pages(entity.resource, search=search):
            if page.records:
                for record in page.records:
                    record["account_id"] = account_id
                yield page.records
