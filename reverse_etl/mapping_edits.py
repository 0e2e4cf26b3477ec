"""Mapping tables edited by a person: read, check, preview against what is planned, and save.

The tables stay dbt seeds (CSV files in git, or the deployment's own copies in
`LEDGERLINK_MAPPINGS_DIR`): saving writes the file a person would edit, and dbt loads it on the
next build. Before saving, `preview` shows which records the change touches, from the readers'
snapshot: the pending rows of the sync models that carry a changed key or value (and how their
fields change), the open dead letters among them, and the held rows that name the key.

Every row has an origin: `person` (typed by someone), `rule` (a table of rules, kept by hand) or
`suggested` (accepted from `mapping_suggestions`). It lives in a sidecar, `mapping_origins.json`
beside the deployment's mapping files, keyed by table and row key, and not as a column: the seeds
are read with `select *` by the dbt models and edited as grids, where an extra column would be a
value a person could change by mistake. A row the sidecar does not name has its table's origin.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from ledgerlink.dbt import SEEDS_DIR
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from reverse_etl import states

PREVIEW_KEYS_SHOWN = 10
ORIGINS = ("person", "rule", "suggested")
ORIGINS_FILE = "mapping_origins.json"


@dataclass(frozen=True)
class Feed:
    """How a mapping table reaches a sync: rows of `model` whose `column` holds the mapping's
    key (`match="key"`) or the old mapped value (`match="value"`) are affected, and its
    mapping columns become these payload fields."""

    sync: str
    model: str
    column: str
    match: str  # "key" | "value"
    fields: dict[str, str]  # mapping column -> payload field it sets
    value_column: str | None = None  # with match="value": the mapping column compared


@dataclass(frozen=True)
class Table:
    file: str
    keys: tuple[str, ...]  # the columns that identify a row
    feeds: tuple[Feed, ...] = ()
    origin: str = "person"  # of a row the origins sidecar does not name


TABLES: dict[str, Table] = {
    t.file: t
    for t in (
        Table(
            "expense_category_gl_accounts.csv",
            ("expense_category",),
            (
                Feed(
                    "infor_gl_journals", "sync_infor__gl_journals", "expense_category", "key",
                    {"gl_account": "lines: AIT1 of the debit",
                     "offset_account": "lines: AIT1 of the credit"},
                ),
            ),
        ),
        Table(
            "currencies.csv",
            ("currency_code",),
            (
                Feed("infor_customers", "sync_infor__customers", "CUCD", "key",
                     {"customer_template": "CUTM", "country_code": "CSCD"}),
                Feed("infor_cash_receipts", "sync_infor__cash_receipts", "CUCD", "key",
                     {"bank_identifier": "BSID"}),
            ),
        ),
        Table(
            "customer_groups.csv",
            ("client_type",),
            (
                Feed("infor_customers", "sync_infor__customers", "CUCL", "value",
                     {"customer_group": "CUCL", "order_type": "ORTP", "payment_terms": "TEPY",
                      "credit_limit": "CRLM"}, value_column="customer_group"),
            ),
        ),
        Table(
            "payment_methods.csv",
            ("payment_source", "source_value"),
            (
                Feed("infor_cash_receipts", "sync_infor__cash_receipts", "payment_method",
                     "value", {"payment_method": "payment method", "cash_account": "cash account"},
                     value_column="payment_method"),
            ),
        ),
        Table(
            "tax_codes.csv",
            ("tax_name_1", "tax_percent_1", "tax_name_2", "tax_percent_2"),
            (
                Feed("infor_customers", "sync_infor__customers", "VTCD", "value",
                     {"m3_vat_code": "VTCD"}, value_column="m3_vat_code"),
            ),
        ),
        Table(
            "item_crosswalk.csv",
            ("freshbooks_sku",),
            (
                Feed("infor_customer_orders", "sync_infor__customer_orders", "lines", "value",
                     {"m3_item_number": "lines: ITNO"}, value_column="m3_item_number"),
            ),
        ),
        Table("client_type_rules.csv", ("rule_order",), origin="rule"),
    )
}  # fmt: skip


def editable_file(settings: Settings, file_name: str) -> Path:
    """The file a save writes: the deployment's own copy when it has one, else the project's
    seed (so the change is a diff in git)."""
    if file_name not in TABLES:
        raise LedgerlinkError(f"{file_name} is not a mapping table")
    if settings.mappings_dir is not None:
        own = settings.mappings_dir / file_name
        if own.exists():
            return own
    return SEEDS_DIR / file_name


def read_table(settings: Settings, file_name: str) -> tuple[list[str], list[dict[str, str]]]:
    path = editable_file(settings, file_name)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), [dict(row) for row in reader]


def description(file_name: str) -> str:
    seeds = yaml.safe_load((SEEDS_DIR / "_seeds.yml").read_text())["seeds"]
    name = Path(file_name).stem
    return " ".join(
        next((s.get("description", "") for s in seeds if s["name"] == name), "").split()
    )


def shape_problems(
    file_name: str, columns: list[str], rows: list[dict[str, str]]
) -> list[tuple[int, str, str]]:
    """What a table must be whatever the tenant: each row's key given and unique."""
    table = TABLES[file_name]
    problems = []
    seen: dict[tuple[str, ...], int] = {}
    required = [k for k in table.keys if k in columns][:1]  # the first key column is required
    for index, row in enumerate(rows):
        for column in required:
            if not (row.get(column) or "").strip():
                problems.append((index, column, f"{column} is required"))
        key = tuple((row.get(k) or "").strip().lower() for k in table.keys)
        if key in seen:
            problems.append(
                (index, table.keys[0], f"the same key as row {seen[key] + 1}: keys must be unique")
            )
        seen.setdefault(key, index)
    return problems


def save_table(
    settings: Settings,
    file_name: str,
    columns: list[str],
    rows: list[dict],
    *,
    origin: str = "person",
    actor: str = "",
    note: str = "",
) -> Path:
    """Write the table in one rename (dbt never reads half a file), and record `origin` for
    each row it adds or changes (a removed row's origin goes with it)."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
    path = editable_file(settings, file_name)
    before = read_table(settings, file_name)[1] if path.exists() else []
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: (row.get(c) or "").strip() for c in columns})
    _write_whole(path, out.getvalue())
    found = changes(file_name, before, rows)
    if found:
        origins = read_origins(settings)
        table = origins.setdefault(file_name, {})
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for change in found:
            table.pop(change.key.lower(), None)
            if change.kind != "removed":
                entry = {"origin": origin, "actor": actor, "at": now}
                table[change.key.lower()] = entry | ({"note": note} if note else {})
        _write_whole(origins_file(settings), json.dumps(origins, indent=1, sort_keys=True) + "\n")
    return path


def _write_whole(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
    os.replace(temporary, path)


def row_key(file_name: str, row: dict[str, str]) -> str:
    return " | ".join((row.get(k) or "").strip() for k in TABLES[file_name].keys)


def origins_file(settings: Settings) -> Path:
    """The origins sidecar: beside the deployment's own mapping files, else the project's seeds
    (dbt loads only the `.csv` files of its seed folder)."""
    if settings.mappings_dir is not None and settings.mappings_dir.is_dir():
        return settings.mappings_dir / ORIGINS_FILE
    return SEEDS_DIR / ORIGINS_FILE


def read_origins(settings: Settings) -> dict[str, dict[str, dict[str, str]]]:
    """table file -> lower-cased row key -> {origin, actor, at[, note]}."""
    path = origins_file(settings)
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise LedgerlinkError(
            f"{path} is not valid JSON ({exc}): fix it by hand, or delete it (rows then count "
            "as set by a person)"
        ) from exc
    return found if isinstance(found, dict) else {}


def origin_of(
    file_name: str, row: dict[str, str], origins: dict[str, dict[str, dict[str, str]]]
) -> str:
    """Who set a row: as the sidecar records it, else its table's default."""
    entry = origins.get(file_name, {}).get(row_key(file_name, row).lower())
    return entry["origin"] if entry else TABLES[file_name].origin


@dataclass
class Change:
    key: str
    kind: str  # added | changed | removed
    fields: dict[str, tuple[str, str]]  # mapping column -> (before, after)
    affected: list[dict[str, Any]] = field(default_factory=list)


def changes(
    file_name: str, before: list[dict[str, str]], after: list[dict[str, str]]
) -> list[Change]:
    keys = TABLES[file_name].keys

    def key_of(row: dict[str, str]) -> str:
        return " | ".join((row.get(k) or "").strip() for k in keys)

    old = {key_of(r): r for r in before}
    new = {key_of(r): r for r in after}
    found = []
    for key in dict.fromkeys([*old, *new]):
        o, n = old.get(key, {}), new.get(key, {})
        diff = {
            c: ((o.get(c) or "").strip(), (n.get(c) or "").strip())
            for c in dict.fromkeys([*o, *n])
            if c not in keys and (o.get(c) or "").strip() != (n.get(c) or "").strip()
        }
        if not o:
            found.append(Change(key, "added", diff))
        elif not n:
            found.append(Change(key, "removed", diff))
        elif diff:
            found.append(Change(key, "changed", diff))
    return found


def preview(con: duckdb.DuckDBPyConnection, file_name: str, found: list[Change]) -> list[Change]:
    """For each change, the planned records (and held ones) it touches, from the snapshot."""
    table = TABLES[file_name]
    tables = {
        (s, t)
        for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    }
    for change in found:
        for feed in table.feeds:
            if ("sync", feed.model) not in tables:
                continue
            fields = {feed.fields[c]: v for c, v in change.fields.items() if c in feed.fields}
            if feed.match == "key":
                probe, column = change.key, feed.column
            else:
                probe = change.fields.get(feed.value_column or "", ("", ""))[0]
                column = feed.column
            if not probe:
                continue
            condition = (
                f'"{column}" like ?' if column == "lines" else f'cast("{column}" as varchar) = ?'
            )
            value = f'%"{probe}"%' if column == "lines" else probe
            # The sync model as last built, less what the ledger has written since.
            rows = con.execute(
                f'select natural_key, operation from sync."{feed.model}" as planned '
                f"where {condition} and not exists (select 1 from ops.sync_records as written "
                "where written.target = planned.target and written.entity = planned.entity "
                "and written.natural_key = planned.natural_key "
                "and written.content_hash = planned.content_hash "
                f"and written.status in ({', '.join(repr(s) for s in states.WRITTEN)})) "
                "order by natural_key",
                [value],
            ).fetchall()
            entity = feed.model.split("__", 1)[1]
            letters = con.execute(
                "select intent_key, natural_key from ops.dead_letters where status = 'open' "
                "and entity = ? and payload like ? order by natural_key",
                [entity, f"%{probe}%"],
            ).fetchall()
            held = []
            if ("sync", "sync_rejects") in tables:
                held = con.execute(
                    "select natural_key, reason from sync.sync_rejects where entity = ? "
                    "and reason like ? order by natural_key",
                    [entity, f"%{change.key.split(' | ')[0]}%"],
                ).fetchall()
            change.affected.append(
                {
                    "sync": feed.sync,
                    "fields": fields,
                    "planned": len(rows),
                    "planned_keys": [r[0] for r in rows[:PREVIEW_KEYS_SHOWN]],
                    "letters": letters[:PREVIEW_KEYS_SHOWN],
                    "letter_count": len(letters),
                    "held": held[:PREVIEW_KEYS_SHOWN],
                    "held_count": len(held),
                }
            )
    return found
