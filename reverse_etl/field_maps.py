"""Field maps: per sync, a payload column whose value comes from a simple transformation of the
plan model's columns instead of the plan's own expression.

Declared in `field_maps.yml` beside `syncs.yml`, not inside it: the console rewrites the whole
file when an operator saves an override, and syncs.yml's hand-written comments must survive;
apart, each saved override is also one small diff in git. dbt reads the overrides from
`dbt_project/macros/sync/sync_field_maps.sql`, which `python -m reverse_etl.field_maps` (and
`python -m reverse_etl.definitions`) writes from the YAML, and the console writes on each save;
a test keeps it current. The sync model macro puts each override in place of the plan's column
before the content hash is taken, so the hash, the M3 length tests and the writers all see the
transformed value.

The SQL of each override is rendered here, in one place: identifiers must be plain names (and,
when the plan model is known, its columns; dbt checks them again against the built plan), and
every literal is a quoted string with its quotes doubled, so nothing typed into a constant
becomes SQL.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from ledgerlink.dbt import SEEDS_DIR, build_target
from ledgerlink.errors import LedgerlinkError
from ledgerlink.ops_schema import ensure_ops_schema
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from reverse_etl.definitions import SyncDefinition, load_syncs

FIELD_MAPS_FILE = Path(__file__).resolve().parent / "field_maps.yml"
DBT_MACRO = (
    Path(__file__).resolve().parent.parent
    / "dbt_project"
    / "macros"
    / "sync"
    / "sync_field_maps.sql"
)
KINDS = ("rename", "lookup", "concat", "split", "constant", "conditional", "cast")
# The parameters of each kind: required, then optional.
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rename": (("column",), ()),
    "lookup": (("seed", "key", "value", "column"), ()),
    "concat": (("columns",), ("separator",)),
    "split": (("column", "separator", "part"), ()),
    "constant": (("value",), ("type",)),
    "conditional": (("column", "equals", "then"), ("else",)),
    "cast": (("type",), ("column",)),
}
# The types a value may be converted to; money stays decimal.
CAST_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "decimal(18, 6)",
    "date": "date",
    "boolean": "boolean",
}
PLAN_ALIAS = "plan_row"  # the plan model's alias in the sync model's `planned` step
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
HEADER = """\
# Field maps: payload columns of a sync (reverse_etl/syncs.yml) computed by a simple
# transformation of its plan model's columns instead of the plan's own expression. The console's
# Field maps page writes this file; it can be edited by hand too. After a hand edit run
# `python -m reverse_etl.field_maps` (dbt reads dbt_project/macros/sync/sync_field_maps.sql);
# the next `ledgerlink transform` or `ledgerlink sync` applies it.
#
# Each entry: sync, field (a payload column of the sync, not its match key), and one
# transformation:
#   rename:      {column}                             another column of the plan model
#   lookup:      {seed, key, value, column}           the seed's `value` where its `key` = column
#   concat:      {columns: [..], separator}           the columns joined (missing ones skipped)
#   split:       {column, separator, part}            the part-th piece (from 1) of the column
#   constant:    {value, type}                        a literal (type optional, see cast)
#   conditional: {column, equals, then, else}         `then` when column = equals, else `else`
#                                                     (no else: the value the plan gives)
#   cast:        {type, column}                       string | integer | decimal | date | boolean
#                                                     (no column: the field's planned value)
"""


class FieldMapError(LedgerlinkError):
    """A field map the project cannot apply: the message names the file, sync, field and fix."""


@dataclass(frozen=True)
class FieldOverride:
    sync: str
    field: str
    kind: str
    parameters: dict[str, Any]

    def as_entry(self) -> dict[str, Any]:
        return {"sync": self.sync, "field": self.field, self.kind: dict(self.parameters)}

    @property
    def source_columns(self) -> tuple[str, ...]:
        """The plan model's columns it reads (the field itself where it keeps the planned value)."""
        p = self.parameters
        if self.kind == "concat":
            return tuple(p["columns"])
        if self.kind == "constant":
            return ()
        if self.kind == "conditional":
            return (p["column"],) if "else" in p else (p["column"], self.field)
        if self.kind == "cast":
            return (p.get("column", self.field),)
        return (p["column"],)

    def describe(self) -> str:
        """The transformation in a few words, for the console."""
        p = self.parameters
        return {
            "rename": lambda: f"rename: {p['column']}",
            "lookup": lambda: f"lookup in {p['seed']}: {p['column']} = {p['key']} → {p['value']}",
            "concat": lambda: f"concat {' + '.join(p['columns'])} with {p.get('separator', '')!r}",
            "split": lambda: f"split {p['column']} on {p['separator']!r}, part {p['part']}",
            "constant": lambda: (
                f"constant {p['value']!r}" + (f" as {p['type']}" if "type" in p else "")
            ),
            "conditional": lambda: (
                f"when {p['column']} = {p['equals']!r} then {p['then']!r} else "
                + (repr(p["else"]) if "else" in p else "the planned value")
            ),
            "cast": lambda: f"cast {p.get('column', self.field)} as {p['type']}",
        }[self.kind]()

    def sql(self) -> str:
        """The SQL expression of the column, over the plan model aliased `plan_row`; a lookup's
        seed relation is `@seed@` in it, which the sync model macro fills with dbt's ref."""
        p = self.parameters
        if self.kind == "rename":
            return column_sql(p["column"])
        if self.kind == "lookup":
            return (
                f"(select cast(lookup.{quoted(p['value'])} as varchar) from @seed@ as "
                f"lookup where cast(lookup.{quoted(p['key'])} as varchar) = "
                f"cast({column_sql(p['column'])} as varchar) limit 1)"
            )
        if self.kind == "concat":
            parts = ", ".join(f"cast({column_sql(c)} as varchar)" for c in p["columns"])
            return f"nullif(concat_ws({literal(p.get('separator', ''))}, {parts}), '')"
        if self.kind == "split":
            return (
                f"nullif(split_part(cast({column_sql(p['column'])} as varchar), "
                f"{literal(p['separator'])}, {int(p['part'])}), '')"
            )
        if self.kind == "constant":
            value = literal(p["value"])
            return f"cast({value} as {CAST_TYPES[p['type']]})" if "type" in p else value
        if self.kind == "conditional":
            otherwise = (
                literal(p["else"]) if "else" in p else f"cast({column_sql(self.field)} as varchar)"
            )
            return (
                f"case when cast({column_sql(p['column'])} as varchar) = {literal(p['equals'])} "
                f"then {literal(p['then'])} else {otherwise} end"
            )
        return f"cast({column_sql(p.get('column', self.field))} as {CAST_TYPES[p['type']]})"

    def for_dbt(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "sql": self.sql(),
            "seed": self.parameters["seed"] if self.kind == "lookup" else "",
            "columns": list(self.source_columns),
        }


def quoted(name: str) -> str:
    if not NAME.match(name):  # checked on reading; never let anything else reach SQL
        raise FieldMapError(f"{name!r} is not a column name")
    return f'"{name}"'


def column_sql(name: str) -> str:
    return f"{PLAN_ALIAS}.{quoted(name)}"


def literal(value: str) -> str:
    """A SQL string literal: the text between single quotes, each quote doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def seed_columns(seed: str) -> list[str] | None:
    """The columns of a mapping seed of the project, or None when there is no such seed."""
    path = SEEDS_DIR / f"{seed}.csv"
    if not NAME.match(seed) or not path.exists():
        return None
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def _where(path: Path, sync: str, field: str) -> str:
    return f"{path.name}: sync {sync or '?'}, field {field or '?'}"


def check_entry(
    entry: Any,
    syncs: Iterable[SyncDefinition],
    plan_columns: dict[str, list[str]] | None = None,
    path: Path = FIELD_MAPS_FILE,
) -> FieldOverride:
    """One entry as an override, or a `FieldMapError` naming the file, sync, field and the fix.
    `plan_columns` (plan model -> its columns, from the warehouse) checks the source columns
    where the plan is built; dbt checks them again when it builds the sync model."""
    if not isinstance(entry, dict):
        raise FieldMapError(f"{path.name}: each field map is a mapping (sync, field, one kind)")
    sync_name, field = str(entry.get("sync") or ""), str(entry.get("field") or "")
    where = _where(path, sync_name, field)
    by_name = {s.name: s for s in syncs}
    if sync_name not in by_name:
        raise FieldMapError(
            f"{where}: no such sync; name one of {', '.join(by_name)} (reverse_etl/syncs.yml)"
        )
    sync = by_name[sync_name]
    plain = [c for c in sync.columns if c not in sync.records and c != "lines"]
    if field not in plain:
        raise FieldMapError(
            f"{where}: not a payload column of the sync (JSON columns of records aside); "
            f"choose one of {', '.join(plain)}"
        )
    if field == sync.match_key:
        raise FieldMapError(
            f"{where}: {field} is the sync's match key, which finds the record in the target "
            "and keys the ledger: change it in the plan model, not with a field map"
        )
    kinds = [k for k in KINDS if k in entry]
    unknown = sorted(set(entry) - {"sync", "field", *KINDS})
    if len(kinds) != 1 or unknown:
        said = ", ".join(unknown) or (" and ".join(kinds) if kinds else "none")
        raise FieldMapError(
            f"{where}: give exactly one transformation of {', '.join(KINDS)} (got {said})"
        )
    kind = kinds[0]
    raw = entry[kind]
    if not isinstance(raw, dict):
        raise FieldMapError(f"{where}: {kind} takes {_parameters_text(kind)}")
    required, optional = PARAMETERS[kind]
    missing = [k for k in required if raw.get(k) in (None, "", [])]
    extra = sorted(set(raw) - set(required) - set(optional))
    if missing or extra:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}"
        raise FieldMapError(f"{where}: {kind} {problem}; it takes {_parameters_text(kind)}")
    parameters = {k: raw[k] for k in (*required, *optional) if k in raw}
    for key in ("column", "key", "value", "seed") if kind != "constant" else ():
        if key in parameters:
            parameters[key] = str(parameters[key]).strip()
            if not NAME.match(parameters[key]):
                raise FieldMapError(f"{where}: {key} {parameters[key]!r} is not a plain name")
    for key in ("separator", "equals", "then", "else", "value"):
        if key in parameters and (kind == "constant" or key != "value"):
            if isinstance(parameters[key], (dict, list)):
                raise FieldMapError(f"{where}: {kind} {key} is one value (text or a number)")
            parameters[key] = str(parameters[key])
    if kind == "concat":
        columns = parameters["columns"]
        if isinstance(columns, str):
            columns = [c.strip() for c in columns.split(",") if c.strip()]
        if not isinstance(columns, list) or len(columns) < 2:
            raise FieldMapError(f"{where}: concat joins two or more columns")
        parameters["columns"] = [str(c).strip() for c in columns]
        bad = [c for c in parameters["columns"] if not NAME.match(c)]
        if bad:
            raise FieldMapError(f"{where}: {', '.join(map(repr, bad))} is not a plain name")
    if kind == "split":
        try:
            parameters["part"] = int(parameters["part"])
        except (TypeError, ValueError):
            parameters["part"] = 0
        if parameters["part"] < 1:
            raise FieldMapError(f"{where}: split part is a whole number from 1 (the first piece)")
    if "type" in parameters and parameters["type"] not in CAST_TYPES:
        raise FieldMapError(
            f"{where}: type {parameters['type']!r} is not one of {', '.join(CAST_TYPES)}"
        )
    if kind == "lookup":
        columns = seed_columns(parameters["seed"])
        if columns is None:
            seeds = ", ".join(sorted(p.stem for p in SEEDS_DIR.glob("*.csv")))
            raise FieldMapError(
                f"{where}: no seed {parameters['seed']!r} in dbt_project/seeds; name one of {seeds}"
            )
        for key in ("key", "value"):
            if parameters[key] not in columns:
                raise FieldMapError(
                    f"{where}: the seed {parameters['seed']} has no column "
                    f"{parameters[key]!r}; its columns are {', '.join(columns)}"
                )
    override = FieldOverride(sync_name, field, kind, parameters)
    plan = "plan_" + sync.model.removeprefix("sync_")
    known = (plan_columns or {}).get(plan)
    if known:
        lowered = {c.lower() for c in known}
        absent = [c for c in override.source_columns if c.lower() not in lowered]
        if absent:
            raise FieldMapError(
                f"{where}: the plan model {plan} has no column {', '.join(absent)}; "
                f"use one of {', '.join(known)}"
            )
    return override


def _parameters_text(kind: str) -> str:
    required, optional = PARAMETERS[kind]
    return ", ".join([*required, *(f"{k} (optional)" for k in optional)])


def check_all(
    entries: Any,
    syncs: Iterable[SyncDefinition] | None = None,
    plan_columns: dict[str, list[str]] | None = None,
    path: Path = FIELD_MAPS_FILE,
) -> list[FieldOverride]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise FieldMapError(f"{path.name}: `field_maps` is a list of entries")
    syncs = tuple(syncs if syncs is not None else load_syncs())
    overrides: list[FieldOverride] = []
    for entry in entries:
        override = check_entry(entry, syncs, plan_columns, path)
        if any((o.sync, o.field) == (override.sync, override.field) for o in overrides):
            raise FieldMapError(
                f"{_where(path, override.sync, override.field)}: declared twice; keep one"
            )
        overrides.append(override)
    return overrides


def load_field_maps(
    path: Path | None = None, plan_columns: dict[str, list[str]] | None = None
) -> list[FieldOverride]:
    path = path or FIELD_MAPS_FILE
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise FieldMapError(f"{path.name} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or set(data) - {"field_maps"}:
        raise FieldMapError(f"{path.name} holds one key, `field_maps`: a list of entries")
    return check_all(data.get("field_maps"), plan_columns=plan_columns, path=path)


def for_dbt(overrides: Iterable[FieldOverride]) -> dict[str, list[dict[str, Any]]]:
    """What the sync model macro reads: per sync name, its overrides (field, SQL, seed, the
    plan columns it reads), in the order of the file."""
    by_sync: dict[str, list[dict[str, Any]]] = {}
    for override in overrides:
        by_sync.setdefault(override.sync, []).append(override.for_dbt())
    return by_sync


def jinja_safe_json(value: Any) -> str:
    """JSON that Jinja reads back as the same value: braces and the other template characters
    inside strings are escaped, so no text in a constant can open a Jinja tag."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=False)
    for char in "{}%#":
        text = re.sub(
            r'"(?:[^"\\]|\\.)*"',
            lambda m, c=char: m.group(0).replace(c, f"\\u{ord(c):04x}"),
            text,
        )
    return text


def dbt_macro(overrides: Iterable[FieldOverride] | None = None) -> str:
    data = for_dbt(load_field_maps() if overrides is None else overrides)
    body = ",\n".join(
        f"  {json.dumps(sync)}: {jinja_safe_json(items)}" for sync, items in data.items()
    )
    return (
        "{#- Generated by `python -m reverse_etl.field_maps` from reverse_etl/field_maps.yml (the\n"
        "    console writes both): do not edit by hand. Per sync: the payload columns whose value\n"
        "    a field map gives, each with its SQL over the plan model, the seed it looks up and\n"
        "    the plan columns it reads. -#}\n"
        "{% macro sync_field_maps() -%}\n"
        "{{ return({" + (f"\n{body}\n" if body else "") + "}) }}\n"
        "{%- endmacro %}\n"
    )


def _write_atomically(path: Path, text: str) -> None:
    """One rename: dbt and git never see half a file."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
    os.replace(temporary, path)


def yaml_text(overrides: Iterable[FieldOverride]) -> str:
    entries = [o.as_entry() for o in overrides]
    body = yaml.safe_dump(
        {"field_maps": entries}, sort_keys=False, allow_unicode=True, default_flow_style=None
    )
    return HEADER + "\n" + body


def save_field_maps(
    overrides: list[FieldOverride], path: Path | None = None, macro: Path | None = None
) -> Path:
    """Write the declaration, then dbt's copy of it (each in one rename)."""
    path = path or FIELD_MAPS_FILE
    _write_atomically(path, yaml_text(overrides))
    _write_atomically(macro or DBT_MACRO, dbt_macro(overrides))
    return path


def with_change(
    overrides: list[FieldOverride], sync: str, field: str, new: FieldOverride | None
) -> tuple[list[FieldOverride], FieldOverride | None]:
    """The overrides with the one of (sync, field) replaced by `new` (or removed without it),
    and the one it replaces."""
    before = next((o for o in overrides if (o.sync, o.field) == (sync, field)), None)
    kept = [o for o in overrides if (o.sync, o.field) != (sync, field)]
    if new is not None:
        at = overrides.index(before) if before is not None else len(kept)
        kept.insert(at, new)
    return kept, before


def built_plan_columns(settings: Settings, syncs: Iterable[SyncDefinition]) -> dict[str, list[str]]:
    """Plan model -> its columns, as the last build compiled it. The plans are ephemeral (no
    table to ask, and what they read is not in the readers' snapshot), so each is read from its
    CTE in the sync model's compiled SQL; a plan whose columns cannot be told from the SQL is
    left out (dbt's build then names a missing column itself)."""
    compiled = build_target(settings) / "compiled" / "ledgerlink" / "models" / "sync"
    found: dict[str, list[str]] = {}
    for sync in syncs:
        plan = "plan_" + sync.model.removeprefix("sync_")
        model = compiled / f"{sync.model}.sql"
        if model.exists():
            columns = _compiled_plan_columns(model, model.stat().st_mtime_ns, plan)
            if columns:
                found[plan] = list(columns)
    return found


@lru_cache(maxsize=64)
def _compiled_plan_columns(model: Path, modified: int, plan: str) -> tuple[str, ...] | None:
    """The plan's columns from one compiled file (kept per file version: a page reads them on
    every request, a build rewrites them)."""
    try:
        tree = sqlglot.parse_one(model.read_text(), read="duckdb")
    except sqlglot.errors.ParseError:
        return None
    ctes = {cte.alias_or_name: cte.this for cte in tree.find_all(exp.CTE)}
    columns = _output_columns(ctes.get(f"__dbt__cte__{plan}"), ctes, depth=0)
    return tuple(columns) if columns else None


def _output_columns(query: Any, ctes: dict[str, Any], depth: int) -> list[str] | None:
    """The columns a select gives, following `*` and `cte.*` through the CTEs; None when they
    cannot be told (a star over a table, too deep)."""
    if isinstance(query, exp.SetOperation) and depth <= 20:  # a union: its first select's names
        return _output_columns(query.left, ctes, depth + 1)
    if not isinstance(query, exp.Select) or depth > 20:
        return None
    inner = {cte.alias_or_name: cte.this for cte in query.find_all(exp.CTE)}
    scope = {**ctes, **inner}
    if "with" in query.args and query.args["with"] is not None:
        query = query.copy()
        query.set("with", None)
    sources = {
        table.alias_or_name: table.name
        for table in query.find_all(exp.Table)
        if table.find_ancestor(exp.Select) is query
    }
    columns: list[str] = []
    for projection in query.expressions:
        star = projection if isinstance(projection, exp.Star) else None
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            star = projection
        if star is None:
            if not projection.alias_or_name:
                return None
            columns.append(projection.alias_or_name)
            continue
        table = star.table if isinstance(star, exp.Column) else ""
        names = [sources.get(table, table)] if table else list(sources.values())
        if len(names) != 1 or names[0] not in scope:
            return None
        expanded = _output_columns(scope[names[0]], scope, depth + 1)
        if expanded is None:
            return None
        columns.extend(expanded)
    return list(dict.fromkeys(columns))


def save_edit(
    settings: Settings,
    sync: str,
    field: str,
    entry: dict[str, Any] | None,
    actor: str,
    plan_columns: dict[str, list[str]] | None = None,
    path: Path | None = None,
    macro: Path | None = None,
) -> tuple[FieldOverride | None, FieldOverride | None]:
    """Add, change (`entry`) or remove (None) the override of one field: checked with every
    other one, then the declaration and dbt's copy written, and the edit kept in
    `ops.field_map_edits` with who, when, before and after. Under the writer lock, so a build
    never reads the files half-way through an edit; nothing is written when a check fails."""
    path = path or FIELD_MAPS_FILE
    new = check_entry(entry, load_syncs(), plan_columns, path) if entry is not None else None
    with writer_lock(settings, f"field map edit by {actor}"):
        current = load_field_maps(path)
        overrides, before = with_change(current, sync, field, new)
        if before is None and new is None:
            raise FieldMapError(f"{_where(path, sync, field)}: has no field map to remove")
        if before is not None and new is not None and before == new:
            raise FieldMapError(f"{_where(path, sync, field)}: the field map is that already")
        check_all([o.as_entry() for o in overrides], plan_columns=plan_columns, path=path)
        with connect(settings, read_only=False) as con:
            ensure_ops_schema(con)
            con.begin()  # the record and the files together: a failed write records nothing
            con.execute(
                "insert into ops.field_map_edits (edit_id, sync, field, before, after, "
                "edited_by, edited_at) values (?, ?, ?, ?, ?, ?, ?)",
                [
                    uuid.uuid4().hex,
                    sync,
                    field,
                    json.dumps(before.as_entry()) if before else None,
                    json.dumps(new.as_entry()) if new else None,
                    actor,
                    datetime.now(UTC).replace(tzinfo=None),
                ],
            )
            try:
                save_field_maps(overrides, path, macro)
            except OSError:
                con.rollback()
                raise
            con.commit()
    return before, new


if __name__ == "__main__":
    try:
        DBT_MACRO.write_text(dbt_macro())
    except FieldMapError as exc:
        sys.exit(str(exc))
    print(f"wrote {DBT_MACRO}", file=sys.stderr)
