"""dlt source for FreshBooks: one resource per accounting entity, merged on (account_id, id).

Every resource is incremental on FreshBooks' `updated` stamp: the request asks for a window
from the day before the newest stamp loaded (FreshBooks filters by whole US/Eastern days), and
dlt's incremental cursor drops rows already seen. Deleted records (`vis_state` 1) are read
separately, as FreshBooks hides them from plain lists, and kept as rows with their state.

The first load reads every record. FreshBooks can narrow a list only by `updated` (whole days),
not by when a record began, so a history start would drop old clients and categories that
newer invoices and expenses refer to; paging at 100 a request keeps a full read short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from ledgerlink.connectors.freshbooks import FreshBooksClient
from ledgerlink.settings import Settings
from pipelines.freshbooks.columns import column_hints
from pipelines.freshbooks.helpers import pages, window_start
from pipelines.freshbooks.settings import (
    ENTITIES,
    ENTITY_NAMES,
    PRIMARY_KEY,
    SCHEMA_CONTRACT,
    Entity,
)
from pipelines.progress import ResponseHook, with_hook
from pipelines.skipping import Skipped

ClientFactory = Callable[[], FreshBooksClient]


@dlt.source(name="freshbooks", schema_contract=SCHEMA_CONTRACT)
def freshbooks_source(
    client_factory: ClientFactory,
    entities: Sequence[str] = ENTITY_NAMES,
    skipped: Skipped | None = None,
) -> Iterator[DltResource]:
    """The FreshBooks `entities` of one account. `client_factory` builds a connected client;
    entities the account does not serve are recorded in `skipped`."""
    client = client_factory()
    skipped = skipped if skipped is not None else Skipped("freshbooks")
    for entity in ENTITIES:
        if entity.table in entities:
            yield _resource(client, entity, skipped)


def _resource(client: FreshBooksClient, entity: Entity, skipped: Skipped) -> DltResource:
    def records(
        cursor: dlt.sources.incremental[str] = dlt.sources.incremental(
            entity.cursor, on_cursor_value_missing="include"
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        # The account comes from the identity call: its failure fails the source, never skips.
        account_id = client.account_id
        since = window_start(cursor.last_value)
        yield from skipped.guard(entity.table, pages(client, entity, account_id, since))

    return dlt.resource(
        records,
        name=entity.table,
        primary_key=PRIMARY_KEY,
        write_disposition="merge",
        columns=column_hints(entity.resource),
        parallelized=True,
    )


def make_source(
    settings: Settings,
    client_factory: ClientFactory | None = None,
    *,
    entities: Sequence[str] = ENTITY_NAMES,
    skipped: Skipped | None = None,
    on_request: ResponseHook | None = None,
) -> Any:
    """A fresh source per run (a dlt source object cannot run twice) of `entities`;
    `client_factory` replaces the client built from settings, and `on_request` is called after
    each answer its API client gets (token refreshes aside)."""
    factory = client_factory or (lambda: FreshBooksClient.from_settings(settings))
    source = freshbooks_source(with_hook(factory, on_request, lambda c: c.http), entities, skipped)
    # Keep timestamps as FreshBooks sends them: dlt would read the naive US/Eastern strings as
    # UTC. Staging converts them, with the right zone, once.
    source.schema.remove_type_detection("iso_timestamp")
    return source
