"""List parameters, `page_info` cursors and `Link` headers, with Shopify's rules and errors.

A `page_info` is opaque to clients; ours is base64 JSON holding the filters of the first request,
the sort, the last seen value and id, and the direction. With `page_info`, only `limit` and
`fields` may be sent: anything else is a 400, as on Shopify.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sandbox.shop.errors import BadRequest
from sandbox.shop.store import FULFILLMENT_SQL, ORDER_STATUS_SQL, SORTABLE, Cursor, ListQuery
from sandbox.shop.timestamps import parse_api_time, sort_key

DEFAULT_LIMIT = 50
MAX_LIMIT = 250
PAGING_PARAMS = frozenset({"limit", "fields", "page_info"})
PAGINATION_DOCS = "https://shopify.dev/api/usage/pagination-rest"
FINANCIAL_STATUSES = (
    "authorized", "pending", "paid", "partially_paid", "refunded", "voided",
    "partially_refunded", "unpaid", "any",
)  # fmt: skip
TIME_FILTERS = ("created_at_min", "created_at_max", "updated_at_min", "updated_at_max")


@dataclass(frozen=True)
class ListRequest:
    query: ListQuery
    limit: int
    fields: list[str] | None
    cursor: Cursor | None


def parse_list_request(
    resource: str, params: Mapping[str, str], *, paged: bool = True
) -> ListRequest:
    limit = _limit(params.get("limit"))
    fields = _fields(params.get("fields"))
    page_info = params.get("page_info")
    if page_info is not None and paged:
        extra = sorted(k for k in params if k not in PAGING_PARAMS)
        if extra:
            raise BadRequest(
                {extra[0]: f"{extra[0]} cannot be passed when page_info is present. "
                 f"See {PAGINATION_DOCS} for more information."}
            )  # fmt: skip
        query, cursor = decode_page_info(resource, page_info)
        return ListRequest(query, limit, fields, cursor)
    return ListRequest(parse_filters(resource, params), limit, fields, None)


def parse_filters(resource: str, params: Mapping[str, str]) -> ListQuery:
    filters: dict[str, Any] = {}
    if params.get("ids"):
        filters["ids"] = [
            _integer("ids", part) for part in params["ids"].split(",") if part.strip()
        ]
    if params.get("since_id"):
        filters["since_id"] = _integer("since_id", params["since_id"])
    for name in TIME_FILTERS:
        if params.get(name):
            try:
                filters[name] = sort_key(parse_api_time(params[name]))
            except ValueError:
                raise BadRequest({name: "Invalid value."}) from None
    if resource == "orders":
        filters["status"] = _choice("status", params.get("status", "open"), ORDER_STATUS_SQL)
        filters["financial_status"] = _choice(
            "financial_status", params.get("financial_status", "any"), FINANCIAL_STATUSES
        )
        filters["fulfillment_status"] = _choice(
            "fulfillment_status", params.get("fulfillment_status", "any"), FULFILLMENT_SQL
        )
    if resource == "products" and params.get("status"):
        statuses = [s.strip() for s in params["status"].split(",")]
        for status in statuses:
            _choice("status", status, ("active", "archived", "draft"))
        filters["status"] = statuses
    sort, descending = _sort(params.get("order"))
    return ListQuery(resource, filters, sort, descending)


def encode_page_info(query: ListQuery, cursor: Cursor) -> str:
    state = {
        "filters": query.filters,
        "order": f"{query.sort} {'desc' if query.descending else 'asc'}",
        "last_id": cursor.id,
        "last_value": cursor.value,
        "direction": "prev" if cursor.backwards else "next",
    }
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_info(resource: str, page_info: str) -> tuple[ListQuery, Cursor]:
    try:
        padded = page_info + "=" * (-len(page_info) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode()))
        sort, _, direction = state["order"].partition(" ")
        if sort not in SORTABLE or not isinstance(state["filters"], dict):
            raise ValueError(sort)
        query = ListQuery(resource, state["filters"], sort, direction == "desc")
        cursor = Cursor(state["last_value"], int(state["last_id"]), state["direction"] == "prev")
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise BadRequest({"page_info": "Invalid value."}) from None
    return query, cursor


def link_header(
    url_base: str, request: ListRequest, prev_cursor: Cursor | None, next_cursor: Cursor | None
) -> str | None:
    """`<...page_info=...>; rel="previous", <...>; rel="next"`; None when there is one page."""
    links = []
    for cursor, rel in ((prev_cursor, "previous"), (next_cursor, "next")):
        if cursor is None:
            continue
        params: dict[str, Any] = {"limit": request.limit}
        if request.fields:
            params["fields"] = ",".join(request.fields)
        params["page_info"] = encode_page_info(request.query, cursor)
        links.append(f'<{url_base}?{urlencode(params)}>; rel="{rel}"')
    return ", ".join(links) or None


def select_fields(doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return doc if not fields else {k: v for k, v in doc.items() if k in fields}


def _limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    limit = _integer("limit", value)
    if limit < 1:
        raise BadRequest({"limit": "Invalid value."})
    return min(limit, MAX_LIMIT)  # Shopify caps a larger limit silently


def _fields(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [f.strip() for f in value.split(",") if f.strip()]


def _integer(name: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise BadRequest({name: "Invalid value."}) from None


def _choice(name: str, value: str, allowed: Any) -> str:
    if value not in allowed:
        raise BadRequest({name: f"Invalid value: {value}."})
    return value


def _sort(value: str | None) -> tuple[str, bool]:
    if not value:
        return "id", False
    column, _, direction = value.strip().partition(" ")
    direction = direction.strip().lower() or "asc"
    if column not in SORTABLE or direction not in ("asc", "desc"):
        raise BadRequest({"order": "Invalid value."})
    return column, direction == "desc"
