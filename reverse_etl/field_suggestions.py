"""Where a new source column could map: columns a raw table has that dbt's sources do not declare.

When a source starts sending a field (schema drift), dlt adds the column to its raw table and
nothing downstream reads it until a person declares it in the source's YAML and maps it. For each
such column (from the readers' snapshot, which keeps the raw tables' columns, not their rows),
the fields of the Infor M3 transactions its table feeds are scored, from the project's M3
contract (`ledgerlink/contracts/infor_m3_programs.json`): the column's name against each field's
description and code (the same text similarity as the mapping suggestions), and whether the
types agree. A new column of an Infor table is an M3 output field itself: the contract says what
it is. Nothing is written: accepting is adding the printed YAML to the sources file.

The sources declare only the columns the models read, so a raw table has many undeclared columns
from its first load. A person acknowledges those once (`ledgerlink mapping fields
--acknowledge` records them in `<home>/raw_columns_known.json`); from then on only a column
that arrives later is suggested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import yaml

from ledgerlink.contracts import load_contract
from ledgerlink.dbt import PROJECT_DIR
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from reverse_etl.mapping_suggestions import TextIndex

STAGING_DIR = PROJECT_DIR / "models" / "staging"
# The M3 transactions each FreshBooks raw table's rows are written through (reverse_etl/syncs.yml).
FEEDS = {
    ("raw_freshbooks", "clients"): (
        "CRS610MI/Add",
        "CRS610MI/ChgOrderInfo",
        "CRS610MI/ChgFinancial",
    ),
    ("raw_freshbooks", "invoices"): ("OIS100MI/AddBatchHead",),
    ("raw_freshbooks", "invoices__lines"): ("OIS100MI/AddBatchLine",),
    ("raw_freshbooks", "payments"): ("ABS100MI/AddStatmtLine", "ABS100MI/AddStatmtDetail"),
    ("raw_freshbooks", "expenses"): ("GLS840MI/AddBatchHead", "GLS840MI/AddBatchLineFld"),
}
SHOWN = 3
KNOWN_FILE = "raw_columns_known.json"
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT", "DECIMAL")


@dataclass(frozen=True)
class FieldTarget:
    transaction: str  # PROGRAM/Transaction
    name: str
    description: str
    type: str
    length: int | None
    score: float


@dataclass
class FieldSuggestion:
    source: str  # dbt source name
    sources_file: str
    schema: str
    table: str
    column: str
    data_type: str
    targets: list[FieldTarget] = field(default_factory=list)
    meaning: str = ""  # for an Infor column: what the contract says it is
    yaml: str = ""


def declared_sources(
    staging_dir: Path = STAGING_DIR,
) -> dict[tuple[str, str], tuple[str, str, set]]:
    """(schema, table) -> (source name, sources file, declared column names), from dbt's YAML."""
    found: dict[tuple[str, str], tuple[str, str, set]] = {}
    for path in sorted(staging_dir.glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text()).get("sources", []):
            schema = source.get("schema", source["name"])
            for table in source.get("tables", []):
                columns = {c["name"].lower() for c in table.get("columns", [])}
                shown = str(path.relative_to(PROJECT_DIR.parent))
                found[schema, table["name"]] = (source["name"], shown, columns)
    return found


def new_columns(
    con: duckdb.DuckDBPyConnection, declared: dict[tuple[str, str], tuple[str, str, set]]
) -> list[tuple[str, str, str, str]]:
    """(schema, table, column, type) of the raw tables' columns dbt's sources do not declare;
    dlt's own bookkeeping columns and tables no source declares are left out."""
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    if "raw_columns" not in tables:
        raise LedgerlinkError(
            "the readers' snapshot predates the raw tables' columns: run `ledgerlink extract` "
            "(or `ledgerlink sync`) to publish a new one"
        )
    rows = con.execute(
        "select schema_name, table_name, column_name, data_type from main.raw_columns "
        "where not starts_with(column_name, '_dlt') order by all"
    ).fetchall()
    return [
        (schema, table, column, data_type)
        for schema, table, column, data_type in rows
        if (schema, table) in declared and column.lower() not in declared[schema, table][2]
    ]


def _m3_fields(transactions: tuple[str, ...], side: str) -> list[tuple[str, dict]]:
    programs = load_contract("infor_m3_programs")["programs"]
    found = []
    for name in transactions:
        program, transaction = name.split("/")
        for item in (
            programs.get(program, {}).get("transactions", {}).get(transaction, {}).get(side, [])
        ):
            found.append((name, item))
    return found


@cache
def _m3_outputs() -> dict[str, tuple[str, dict]]:
    """M3 field code -> the first transaction (by name) that returns it, and its contract."""
    found: dict[str, tuple[str, dict]] = {}
    for program, body in sorted(load_contract("infor_m3_programs")["programs"].items()):
        for transaction, spec in sorted(body.get("transactions", {}).items()):
            for item in spec.get("outputs", []):
                found.setdefault(item["name"], (f"{program}/{transaction}", item))
    return found


def _type_agrees(data_type: str, m3_type: str) -> bool:
    numeric = data_type.upper().startswith(NUMERIC)
    return numeric == (m3_type == "number")


def known_columns(settings: Settings) -> set[str]:
    """`schema.table.column` of the undeclared columns a person acknowledged."""
    path = settings.home / KNOWN_FILE
    try:
        return set(json.loads(path.read_text(encoding="utf-8"))["columns"])
    except FileNotFoundError:
        return set()
    except (ValueError, KeyError, TypeError) as exc:
        raise LedgerlinkError(
            f"{path} is not a list of known columns ({exc}): delete it and run "
            "`ledgerlink mapping fields --acknowledge` again"
        ) from exc


def acknowledge(settings: Settings, found: list[FieldSuggestion], actor: str) -> Path:
    """Record the columns suggested now as known: they are not suggested again."""
    path = settings.home / KNOWN_FILE
    columns = known_columns(settings) | {f"{f.schema}.{f.table}.{f.column}" for f in found}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"columns": sorted(columns), "acknowledged_at": now, "actor": actor}
    path.write_text(json.dumps(entry, indent=1) + "\n", encoding="utf-8")
    return path


def suggest_fields(
    con: duckdb.DuckDBPyConnection,
    known: set[str] | frozenset[str] = frozenset(),
    staging_dir: Path = STAGING_DIR,
) -> list[FieldSuggestion]:
    """Each undeclared, unacknowledged raw column and where it could map."""
    declared = declared_sources(staging_dir)
    found = []
    indexes: dict[tuple[str, ...], TextIndex] = {}
    for schema, table, column, data_type in new_columns(con, declared):
        if f"{schema}.{table}.{column}" in known:
            continue
        source, path, _ = declared[schema, table]
        suggestion = FieldSuggestion(source, path, schema, table, column, data_type)
        suggestion.yaml = (
            f"# {path}, source {source}, table {table}, under columns:\n"
            f"- {{name: {column}, data_type: {data_type.lower()}}}"
        )
        if schema == "raw_infor":
            code = column.upper()
            if code in _m3_outputs():
                where, item = _m3_outputs()[code]
                suggestion.meaning = (
                    f"M3 field {code}: {item.get('description', '')!r} ({where}, "
                    f"{item.get('type', 'string')}, length {item.get('length')})"
                )
            found.append(suggestion)
            continue
        feeds = FEEDS.get((schema, table), ())
        if not feeds:  # shop and CRM tables reach Infor through FreshBooks or enrichment
            suggestion.meaning = "no Infor transaction reads this table directly"
            found.append(suggestion)
            continue
        fields = _m3_fields(feeds, "inputs")
        if feeds not in indexes:  # one per set of fields; a column's own text barely moves it
            indexes[feeds] = TextIndex(f"{f.get('description', '')} {f['name']}" for _, f in fields)
        index = indexes[feeds]
        words = column.replace("_", " ")
        scored = []
        for transaction, item in fields:
            similar = max(
                index.similarity(words, item.get("description", "")),
                index.similarity(words, item["name"]),
            )
            # a type that cannot hold the value weighs against the field, not out of the list
            similar *= 1.0 if _type_agrees(data_type, item.get("type", "string")) else 0.7
            scored.append(
                FieldTarget(
                    transaction,
                    item["name"],
                    item.get("description", ""),
                    item.get("type", "string"),
                    item.get("length"),
                    round(similar, 4),
                )
            )
        best = sorted(scored, key=lambda t: (-t.score, t.transaction, t.name))
        suggestion.targets = list(dict.fromkeys(best))[:SHOWN]
        found.append(suggestion)
    return found
