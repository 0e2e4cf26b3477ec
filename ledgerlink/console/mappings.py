"""Mappings, low-code: each mapping table as an editable grid, checked against the Infor
tenant's codes and previewed against what is planned before it is saved; and each sync's field
map (source -> transformation -> target field), read-only until the syncs declare their fields."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.reference import TenantReference
from ledgerlink.console import web
from ledgerlink.console.enrichment import enrichment_fields
from ledgerlink.console.reading import snapshot
from ledgerlink.dbt import build_target
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from reverse_etl import mapping_dry_run, mapping_edits, operator_actions
from reverse_etl.mapping_edits import TABLES
from reverse_etl.operations import BEFORE_VALUES, LEADING_COLUMNS
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
        path = mapping_edits.save_table(config, file_name, columns, after)
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
        problems=problems,
        preview=previewed,
        dry_run=tried,
        note=note,
    )


# --- field maps ----------------------------------------------------------------------------------
def _column_docs(settings: Settings) -> dict[str, dict[str, str]]:
    """model -> column -> description, from the last dbt build's manifest (dbt's own docs)."""
    path = build_target(settings) / "manifest.json"
    if not path.exists():
        return {}
    nodes = json.loads(path.read_text()).get("nodes", {})
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


@router.get("/field-maps", response_class=HTMLResponse)
def field_maps(request: Request) -> HTMLResponse:
    config = web.settings(request)
    docs = _column_docs(config)
    maps = []
    with snapshot(config) as snap:
        for sync in select_syncs(None, config.systems):
            columns = snap.columns("sync", sync.model) if snap.has("sync", sync.model) else []
            fields = [
                {
                    "target": column,
                    "transformation": docs.get(sync.model, {}).get(column.lower(), ""),
                }
                for column in columns
                if column not in LEADING_COLUMNS and column != BEFORE_VALUES
            ]
            for item in fields:
                item["source"] = source_of(item["transformation"], sync.target)
            maps.append({"sync": sync, "fields": fields})
        extra = enrichment_fields(snap)
    return web.render(request, "field_maps.html", snapshot=snap, maps=maps, enrichment=extra)
