"""List query parameters -> SQL: paging, `search[...]` filters, `sort`, `include[]`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.datastructures import QueryParams

from sandbox.freshbooks import errors
from sandbox.freshbooks.resources import Resource
from sandbox.freshbooks.store import PER_PAGE_DEFAULT, PER_PAGE_MAX
from sandbox.freshbooks.timestamps import eastern_day_bounds, utc_day_bounds

INT_COLUMNS = frozenset(
    {"id", "customerid", "invoiceid", "clientid", "categoryid", "vendorid", "billid"}
)
SORTS = {
    "updated_asc": "updated asc, id asc",
    "updated_desc": "updated desc, id desc",
    "id_asc": "id asc",
    "id_desc": "id desc",
}


@dataclass
class ListQuery:
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order: str = "id asc"
    include: frozenset[str] = frozenset()

    @property
    def offset(self) -> int:
        # Pages past the end are empty; keep absurd ones inside SQLite's integer range.
        return min((self.page - 1) * self.per_page, 2**62)

    def meta(self, total: int) -> dict[str, int]:
        return {
            "page": self.page,
            "pages": math.ceil(total / self.per_page),
            "per_page": self.per_page,
            "total": total,
        }


def paging(query: Mapping[str, str]) -> tuple[int, int]:
    """`page` (0 means 1; anything but a non-negative integer is an error) and `per_page`
    (silently capped at 100)."""
    raw_page = query.get("page", "1").strip()
    if not raw_page.isdigit():
        raise errors.bad_request("page must be a number", "page", raw_page)
    raw_per_page = query.get("per_page", str(PER_PAGE_DEFAULT)).strip()
    if not raw_per_page.isdigit():
        raise errors.bad_request("per_page must be a number", "per_page", raw_per_page)
    per_page = int(raw_per_page) or PER_PAGE_DEFAULT
    return max(1, int(raw_page)), min(per_page, PER_PAGE_MAX)


def _search_name(key: str) -> tuple[str, bool] | None:
    """`search[email]` -> ("email", False); `search[userids][]` -> ("userids", True)."""
    if not key.startswith("search[") or "]" not in key:
        return None
    name = key[len("search[") : key.index("]")]
    return name, key.endswith("[]")


def _value(column: str, raw: str, name: str) -> Any:
    if column in INT_COLUMNS:
        if not raw.strip().lstrip("-").isdigit() or len(raw.strip()) > 18:
            raise errors.bad_request(f"search[{name}] must be a number", name, raw)
        return int(raw)
    return raw


def _day(raw: str, name: str) -> date:
    # Betweens on date-time columns have day granularity: only the YYYY-MM-DD part counts.
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise errors.bad_request(f"search[{name}] must be a date (YYYY-MM-DD)", name, raw) from None


def _escape_like(raw: str) -> str:
    return raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse(resource: Resource, query: QueryParams, *, has_vis_state: bool = True) -> ListQuery:
    page, per_page = paging(query)
    q = ListQuery(page=page, per_page=per_page)
    q.include = frozenset(query.getlist("include[]"))
    q.order = SORTS.get(query.get("sort", ""), "id asc")
    vis_state: int | None = None
    ranged = False
    seen: set[str] = set()
    for key in query:
        parsed = _search_name(key)
        if parsed is None or key in seen:
            continue
        seen.add(key)
        name, is_list = parsed
        raw = query.get(key, "")
        if name == "vis_state":
            if raw not in ("0", "1", "2"):
                raise errors.bad_request("search[vis_state] must be 0, 1 or 2", "vis_state", raw)
            vis_state = int(raw)
        elif name in ("updated_min", "updated_max"):
            first, last = (
                (_day(raw, name), None) if name == "updated_min" else (None, _day(raw, name))
            )
            # Days of the zone the resource's timestamps are in: UTC for bills and vendors.
            low, high = (utc_day_bounds if resource.utc else eastern_day_bounds)(first, last)
            ranged = True
            q.where.append("updated >= ?" if low else "updated < ?")
            q.params.append(low or high)
        elif name in resource.searches:
            _filter(q, resource, name, query.getlist(key) if is_list else [raw])
        # Unknown filters are ignored, as the API ignores them.
    if ranged and q.order == "id asc":
        # `+id` keeps SQLite from walking the whole table in id order to find the few rows an
        # updated range matches: it reads them through the updated index and sorts them instead.
        q.order = "+id asc"
    if has_vis_state:
        if vis_state is None:
            q.where.append("vis_state != 1")  # deleted records only on request
        else:
            q.where.append("vis_state = ?")
            q.params.append(vis_state)
    return q


def _filter(q: ListQuery, resource: Resource, name: str, raws: list[str]) -> None:
    search = resource.searches[name]
    column = search.column
    if search.op == "in":
        values = [_value(column, raw, name) for raw in raws if raw != ""]
        if not values:
            return
        q.where.append(f"{column} in ({', '.join('?' for _ in values)})")
        q.params.extend(values)
        return
    raw = raws[0]
    if search.op == "eq":
        q.where.append(f"{column} = ?")
        q.params.append(_value(column, raw, name))
    elif search.op == "eq_nocase":
        q.where.append(f"lower({column}) = lower(?)")
        q.params.append(raw)
    elif search.op == "like":
        q.where.append(f"{column} like ? escape '\\'")
        q.params.append(f"%{_escape_like(raw)}%")
    elif search.op in ("min", "max"):
        q.where.append(f"{column} {'>=' if search.op == 'min' else '<='} ?")
        q.params.append(_day(raw, name).isoformat())
