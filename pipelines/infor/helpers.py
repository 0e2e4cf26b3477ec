"""Change detection for M3 lists that have no server-side change filter.

M3 is poll-only and most lists cannot be asked "what changed since": a run reads them, and
only rows whose content differs from what the last run loaded are yielded (a hash per key
in dlt's resource state), so an unchanged M3 loads nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any


def row_hash(row: dict[str, Any]) -> str:
    return hashlib.blake2b(json.dumps(row, sort_keys=True).encode(), digest_size=12).hexdigest()


def changed_only(
    rows: Iterable[dict[str, Any]], key: tuple[str, ...], seen: MutableMapping[str, str]
) -> Iterator[dict[str, Any]]:
    """Rows that are new or changed since the hashes in `seen`, which is updated as they pass."""
    for row in rows:
        row_key = "|".join(str(row.get(k, "")) for k in key)
        digest = row_hash(row)
        if seen.get(row_key) != digest:
            seen[row_key] = digest
            yield row


def tag(rows: Iterable[dict[str, Any]], cono: str, divi: str) -> Iterator[dict[str, Any]]:
    """Fill company and division where a list omits them (M3 leaves them out of many)."""
    for row in rows:
        if not row.get("CONO"):
            row["CONO"] = cono
        if not row.get("DIVI"):
            row["DIVI"] = divi
        yield row
