"""Change detection for M3 lists that have no server-side change filter, and the journals the
push posted (read back from the warehouse).

M3 is poll-only and most lists cannot be asked "what changed since": a run reads them, and
only rows whose content differs from what the last run loaded are yielded (a hash per key
in dlt's resource state), so an unchanged M3 loads nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.infor.settings import OPS_SYNC_RECORDS, POSTED_JOURNALS


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


def batch_key(voucher_text: str | None) -> str:
    """The first word of a voucher text: the batch key (KEY1) when ledgerlink posted it."""
    words = (voucher_text or "").split()
    return words[0] if words else ""


def journals_posted_since(warehouse: Path, since: datetime) -> set[str]:
    """Batch keys (KEY1) of the GL journals the push posted to M3 since `since`.

    Read from the push's ledger in the warehouse (`ops.sync_records`), not from the push's
    code: the two stages meet only in the warehouse. Nothing is posted yet when the warehouse
    or the table does not exist.
    """
    if not warehouse.exists():
        return set()
    schema, table = OPS_SYNC_RECORDS.split(".")
    target, entity = POSTED_JOURNALS
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()
        if not found or not found[0]:
            return set()
        rows = con.execute(
            f"select natural_key from {OPS_SYNC_RECORDS} where target = ? and entity = ? "
            "and status in ('created', 'updated', 'unchanged') and last_attempt_at >= ?",
            [target, entity, since.astimezone(UTC).replace(tzinfo=None)],
        ).fetchall()
    return {key for (key,) in rows if key}
