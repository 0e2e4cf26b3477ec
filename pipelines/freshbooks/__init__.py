"""dlt source for FreshBooks: one resource per accounting entity, merged on (account_id, id).

Every resource is incremental on FreshBooks' `updated` stamp: the request asks for a window
from the day before the newest stamp loaded (FreshBooks filters by whole US/Eastern days), and
dlt's incremental cursor drops rows already seen. Deleted records (`vis_state` 1) are read
separately, as FreshBooks hides them from plain lists, and kept as rows with their state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from ledgerlink.connectors.freshbooks import FreshBooksClient
from ledgerlink.settings import Settings
from pipelines.freshbooks.columns import column_hints
from pipelines.freshbooks.helpers import pages, window_start
from pipelines.freshbooks.settings import ENTITIES, PRIMARY_KEY, SCHEMA_CONTRACT, Entity

ClientFactory = Callable[[], FreshBooksClient]


@dlt.source(name="freshbooks", schema_contract=SCHEMA_CONTRACT)
def freshbooks_source(client_factory: ClientFactory) -> Iterator[DltResource]:
    """All FreshBooks entities of one account. `client_factory` builds a connected client."""
    client = client_factory()
    for entity in ENTITIES:
        yield _resource(client, entity)


def _resource(client: FreshBooksClient, entity: Entity) -> DltResource:
    def records(
        cursor: dlt.sources.incremental[str] = dlt.sources.incremental(
            entity.cursor, on_cursor_value_missing="include"
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        yield from pages(client, entity, window_start(cursor.last_value))

    return dlt.resource(
        records,
        name=entity.table,
        primary_key=PRIMARY_KEY,
        write_disposition="merge",
        columns=column_hints(entity.resource),
        parallelized=True,
    )


def make_source(settings: Settings, client_factory: ClientFactory | None = None) -> Any:
    """A fresh source per run (a dlt source object cannot run twice); `client_factory` replaces
    the client built from settings."""
    source = freshbooks_source(client_factory or (lambda: FreshBooksClient.from_settings(settings)))
    # Keep timestamps as FreshBooks sends them: dlt would read the naive US/Eastern strings as
    # UTC. Staging converts them, with the right zone, once.
    source.schema.remove_type_detection("iso_timestamp")
    return source
