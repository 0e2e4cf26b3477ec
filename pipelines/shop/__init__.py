"""dlt source for the shop: orders (with line items), customers and products, merged on id.

Each resource is incremental on `updated_at`: the next run asks the shop for
`updated_at_min=<newest stamp loaded>` and dlt drops the rows at the boundary it already has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from ledgerlink.connectors.shop import ShopClient
from ledgerlink.settings import Settings
from pipelines.progress import ResponseHook, with_hook
from pipelines.shop.helpers import latest_instant
from pipelines.shop.settings import CURSOR, ENTITIES, ENTITY_NAMES, SCHEMA_CONTRACT
from pipelines.skipping import Skipped

ClientFactory = Callable[[], ShopClient]


@dlt.source(name="shop", schema_contract=SCHEMA_CONTRACT)
def shop_source(
    client_factory: ClientFactory,
    entities: Sequence[str] = ENTITY_NAMES,
    skipped: Skipped | None = None,
) -> Iterator[DltResource]:
    """The shop's `entities` (orders, customers, products); those the shop does not serve to
    this token are recorded in `skipped`."""
    client = client_factory()
    skipped = skipped if skipped is not None else Skipped("shop")
    for table, filters in ENTITIES.items():
        if table in entities:
            yield _resource(client, table, filters, skipped)


def _resource(
    client: ShopClient, table: str, filters: dict[str, str], skipped: Skipped
) -> DltResource:
    def records(
        cursor: dlt.sources.incremental[str] = dlt.sources.incremental(
            CURSOR, last_value_func=latest_instant
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        params: dict[str, str] = dict(filters)
        if cursor.last_value:
            params["updated_at_min"] = cursor.last_value
        yield from skipped.guard(table, client.pages(table, params))

    return dlt.resource(
        records, name=table, primary_key="id", write_disposition="merge", parallelized=True
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
    factory = client_factory or (lambda: ShopClient.from_settings(settings))
    return shop_source(with_hook(factory, on_request, lambda c: c.http), entities, skipped)
