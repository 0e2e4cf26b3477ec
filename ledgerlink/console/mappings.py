"""Mappings, low-code: each mapping table as an editable grid, checked against the Infor
tenant's codes and previewed against what is planned before it is saved; and each sync's field
map (source -> transformation -> target field), where an operator adds, changes or removes a
field map (reverse_etl/field_maps.yml: a simple transformation in place of the plan's value); and
the suggested rows for the values that hold records back, which a person accepts or rejects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.reference import TenantReference
from ledgerlink.console import web
from ledgerlink.console.enrichment import enrichment_fields
from ledgerlink.console.reading import snapshot
from ledgerlink.dbt import PROJECT_DIR, SEEDS_DIR, build_target
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from reverse_etl import (
    field_maps,
    mapping_dry_run,
    mapping_edits,
    mapping_suggestions,
    operator_actions,
)
from reverse_etl.mapping_edits import TABLES
from reverse_etl.runner import select_syncs
from reverse_etl.tenant_check import check_mapping_rows

router = APIRouter()
EMPTY_ROWS = 3  # blank rows offered for additions


def _grid(form: dict[str, Any], columns: list[str]) -> list[dict[str, str]]:
    """The grid as posted: cells `cell-<row>-<column index>`, rows ticked `delete-<row>` left out,
    blank rows dropped."""
    indexes = sorted({int(m.group(1)) for k in form if (m := re.fullmatch(r"cell-(\d+)-\d+", k))})
    rows = []
    for i in indexes:
        if form.get(f"delete-{i}"):
            continue
        row = {c: str(form.get(f"cell-{i}-{n}", "")).strip() for n, c in enumerate(columns)}
        if any(row.values()):
            rows.append(row)
    return rows


def check(settings: Settings, file_name: str, columns: list[str], rows: list[dict[str, str]]):
    """Problems per row: the table's shape, then the tenant's codes (asked of Infor)."""
    problems = mapping_edits.shape_problems(file_name, columns, rows)
    note = ""
    if settings.system_enabled("infor"):
        try:
            with InforClient.from_settings(settings) as client:
                problems += check_mapping_rows(TenantReference(client.m3), file_name, rows)
        except LedgerlinkError as exc:
            note = f"not checked against Infor: {exc}"
    by_row: dict[int, list[tuple[str, str]]] = {}
    for index, column, text in problems:
        by_row.setdefault(index, []).append((column, text))
    return by_row, note


@router.get("/mappings", response_class=HTMLResponse)
def mapping_list(request: Request) -> HTMLResponse:
    tables = [{"file": name, "description": mapping_edits.description(name)} for name in TABLES]
    return web.render(request, "mappings.html", tables=tables)


def _origins(settings: Settings, file_name: str, rows: list[dict[str, str]]) -> list[str]:
    """Who set each row (blank for an empty one)."""
    known = mapping_edits.read_origins(settings)
    return [
        mapping_edits.origin_of(file_name, row, known) if any(row.values()) else "" for row in rows
    ]


# --- suggestions ---------------------------------------------------------------------------------
@router.get("/suggestions", response_class=HTMLResponse)
def suggestions_view(request: Request) -> HTMLResponse:
    config = web.settings(request)
    with snapshot(config) as snap:
        found = mapping_suggestions.suggest_all(config, snap.con)
    return web.render(
        request,
        "suggestions.html",
        kinds=found,
        files=mapping_suggestions.KINDS,
        min_confidence=config.mapping_accept_min_confidence,
        auto=config.mapping_auto_accept_confidence,
    )


def _act_on_suggestion(settings: Settings, form: dict[str, Any], actor: str) -> str:
    """What the suggestions form asks, done; the notice to show."""
    kind, wanted = str(form.get("kind") or ""), str(form.get("id") or "")
    mapping_suggestions.file_for(kind)
    with snapshot(settings) as snap:
        found = mapping_suggestions.suggest(settings, snap.con, kind)
    if form.get("do") == "reject":
        done = mapping_suggestions.reject(
            settings, found, wanted, actor=actor, reason=str(form.get("reason") or "")
        )
        return f"rejected {done.value!r}: it is not suggested again until its evidence changes"
    chosen, path = mapping_suggestions.accept(
        settings,
        found,
        [wanted],
        min_confidence=settings.mapping_accept_min_confidence,
        force=form.get("force") == "1",
        actor=actor,
    )
    return (
        f"added {chosen[0].value!r} to {path}; rebuild (Mappings, {chosen[0].file}) or the "
        "next sync plans with it"
    )


@router.post("/suggestions")
async def suggestions_post(request: Request) -> Response:
    """`do=accept`: add the suggestion's row as `ledgerlink mapping accept` does (`force` when
    the person accepts one below the configured confidence); `do=reject`: record the rejection,
    so it is not shown again until its evidence changes."""
    person, form = await web.acting(request)
    config = web.settings(request)
    try:
        notice = await run_in_threadpool(_act_on_suggestion, config, form, person.name)
    except LedgerlinkError as exc:
        return web.redirect(request, "/suggestions", str(exc), problem=True)
    return web.redirect(request, "/suggestions", notice)


@router.get("/mappings/{file_name}", response_class=HTMLResponse)
def mapping_grid(request: Request, file_name: str) -> HTMLResponse:
    if file_name not in TABLES:
        raise HTTPException(404, f"{file_name} is not a mapping table")
    config = web.settings(request)
    columns, rows = mapping_edits.read_table(config, file_name)
    return web.render(
        request,
        "mapping_grid.html",
        file=file_name,
        path=str(mapping_edits.editable_file(config, file_name)),
        description=mapping_edits.description(file_name),
        columns=columns,
        rows=rows + [dict.fromkeys(columns, "") for _ in range(EMPTY_ROWS)],
        origins=_origins(config, file_name, rows),
        problems={},
        preview=None,
        dry_run=None,
        note="",
    )


@router.post("/mappings/{file_name}", response_class=HTMLResponse)
async def mapping_post(request: Request, file_name: str) -> Response:
    """`do=preview`: check and show what the change touches; `do=dry-run`: the same, and what
    the sync models would plan with it (dbt on a copy of the warehouse; nothing is saved);
    `do=save`: the same checks, then write the file when nothing is wrong; `do=rebuild`: load
    it and rebuild the sync models."""
    if file_name not in TABLES:
        raise HTTPException(404, f"{file_name} is not a mapping table")
    person, form = await web.acting(request)
    config = web.settings(request)
    if form.get("do") == "rebuild":
        try:
            result = await run_in_threadpool(
                operator_actions.rebuild_after_mapping_change, config, [file_name], person.name
            )
        except LedgerlinkError as exc:
            return web.redirect(request, f"/mappings/{file_name}", str(exc), problem=True)
        return web.redirect(request, f"/mappings/{file_name}", result.message)
    columns, before = mapping_edits.read_table(config, file_name)
    after = _grid(form, columns)
    problems, note = await run_in_threadpool(check, config, file_name, columns, after)
    found = mapping_edits.changes(file_name, before, after)
    with snapshot(config) as snap:
        previewed = mapping_edits.preview(snap.con, file_name, found)
    tried = None
    if form.get("do") == "dry-run" and not problems and found:
        try:
            tried = await run_in_threadpool(
                mapping_dry_run.dry_run, config, file_name, columns, after, person.name
            )
        except LedgerlinkError as exc:
            note = f"no dry run: {exc}"
    if form.get("do") == "save" and not problems and found:
        path = mapping_edits.save_table(config, file_name, columns, after, actor=person.name)
        return web.redirect(
            request,
            f"/mappings/{file_name}",
            f"saved {len(found)} change{'s' if len(found) != 1 else ''} to {path}; "
            "rebuild to plan with it (the next sync does too)",
        )
    return web.render(
        request,
        "mapping_grid.html",
        status_code=422 if problems else 200,
        file=file_name,
        path=str(mapping_edits.editable_file(config, file_name)),
        description=mapping_edits.description(file_name),
        columns=columns,
        rows=after + [dict.fromkeys(columns, "") for _ in range(EMPTY_ROWS)],
        origins=_origins(config, file_name, after),
        problems=problems,
        preview=previewed,
        dry_run=tried,
        note=note,
    )


# --- field maps ----------------------------------------------------------------------------------
def _column_docs(settings: Settings) -> dict[str, dict[str, str]]:
    """model -> column -> description, from the last dbt build's manifest (dbt's own docs)."""
    path = build_target(settings) / "manifest.json"
    try:
        nodes = json.loads(path.read_text()).get("nodes", {})
    except FileNotFoundError:
        return {}
    except ValueError:  # dbt is writing it (it writes in place): no descriptions this time
        return {}
    return {
        node["name"]: {
            name.lower(): " ".join((column.get("description") or "").split())
            for name, column in node.get("columns", {}).items()
        }
        for node in nodes.values()
        if node.get("resource_type") == "model" and node.get("schema") == "sync"
    }


def source_of(description: str, target: str) -> str:
    """Where a field's value comes from, as its documentation names it."""
    seed = re.search(r"seed `?([a-z_]+)`?|\(([a-z_]+)\)", description)
    if seed and (name := seed.group(1) or seed.group(2)) and f"{name}.csv" in TABLES:
        return f"mapping {name}"
    return "Infor M3" if target == "freshbooks" else "FreshBooks"


def _field_map_entry(form: dict[str, Any]) -> dict[str, Any]:
    """The override as posted: the parameters of the chosen kind that were filled in (text as
    typed: a separator may be a space)."""
    kind = str(form.get("kind") or "")
    required, optional = field_maps.PARAMETERS.get(kind, ((), ()))
    parameters = {
        name: form[f"p_{name}"]
        for name in (*required, *optional)
        if str(form.get(f"p_{name}") or "") != ""
    }
    entry: dict[str, Any] = {"sync": form.get("sync", ""), "field": form.get("field", "")}
    if kind:
        entry[kind] = parameters
    return entry


def _field_maps_page(
    request: Request, status_code: int = 200, problem: str = "", posted: dict | None = None
) -> HTMLResponse:
    config = web.settings(request)
    docs = _column_docs(config)
    try:
        overrides = {(o.sync, o.field): o for o in field_maps.load_field_maps()}
    except field_maps.FieldMapError as exc:
        overrides, problem = {}, problem or str(exc)
    maps = []
    syncs = select_syncs(None, config.systems)
    plan_columns = field_maps.built_plan_columns(config, syncs)
    with snapshot(config) as snap:
        for sync in syncs:
            fields = []
            for column in sync.columns:  # the declaration's payload, in the hash's order
                doc = docs.get(sync.model, {}).get(column.lower(), "")
                override = overrides.get((sync.name, column))
                fields.append(
                    {
                        "target": column,
                        "transformation": override.describe() if override else doc,
                        "source": (
                            _override_source(override) if override else source_of(doc, sync.target)
                        ),
                        "override": override,
                    }
                )
            built = snap.has("sync", sync.model)
            editable = [
                c
                for c in sync.columns
                if c not in sync.records and c not in ("lines", sync.match_key)
            ]
            plan = "plan_" + sync.model.removeprefix("sync_")
            maps.append(
                {
                    "sync": sync,
                    "fields": fields,
                    "editable": editable,
                    "plan": plan,
                    "plan_columns": plan_columns.get(plan, []),
                    "built": built,
                }
            )
        extra = enrichment_fields(snap)
    return web.render(
        request,
        "field_maps.html",
        status_code=status_code,
        snapshot=snap,
        maps=maps,
        enrichment=extra,
        kinds=field_maps.KINDS,
        parameters=field_maps.PARAMETERS,
        cast_types=list(field_maps.CAST_TYPES),
        seeds=sorted(p.stem for p in SEEDS_DIR.glob("*.csv")),
        path=_shown_path(field_maps.FIELD_MAPS_FILE),
        problem=problem,
        posted=posted or {},
    )


def _shown_path(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_DIR.parent))
    except ValueError:
        return str(path)


def _override_source(override: field_maps.FieldOverride) -> str:
    p = override.parameters
    if override.kind == "lookup":
        return f"plan {p['column']}, mapping {p['seed']}"
    if override.kind == "constant":
        return "a constant"
    return "plan " + ", ".join(dict.fromkeys(override.source_columns))


@router.get("/field-maps", response_class=HTMLResponse)
def field_maps_view(request: Request) -> HTMLResponse:
    return _field_maps_page(request)


@router.post("/field-maps", response_class=HTMLResponse)
async def field_maps_post(request: Request) -> Response:
    """`do=save`: add or change the override of one field; `do=remove`: drop it. Checked, then
    written to the project's field_maps.yml (and dbt's copy) and kept in ops.field_map_edits;
    the next transform or sync plans with it."""
    person, form = await web.acting(request)
    config = web.settings(request)
    sync, field = str(form.get("sync") or ""), str(form.get("field") or "")
    entry = None if form.get("do") == "remove" else _field_map_entry(form)
    plan_columns = field_maps.built_plan_columns(config, select_syncs(None, config.systems))
    try:
        before, after = await run_in_threadpool(
            field_maps.save_edit, config, sync, field, entry, person.name, plan_columns
        )
    except LedgerlinkError as exc:
        return _field_maps_page(request, 422, str(exc), posted=form)
    done = after.describe() if after else "removed (the plan's own value again)"
    if before is not None and after is not None:
        done += f" (was {before.describe()})"
    return web.redirect(
        request,
        "/field-maps",
        f"{sync}.{field}: {done}; saved to {_shown_path(field_maps.FIELD_MAPS_FILE)}. "
        "The next `ledgerlink transform` or `ledgerlink sync` applies it",
    )
