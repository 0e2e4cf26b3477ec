"""Reconciliation (FreshBooks against Infor per customer and month), AR aging, the cash forecast
and the anomaly findings of dbt's warn tests, as tables and charts with CSV downloads.

Anomalies: the last `dbt build`'s results (`run_results.json`) say which warn tests found rows;
each one whose SQL reads only the marts is run again on the snapshot to list those rows.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ledgerlink.console import web
from ledgerlink.console.charts import bars
from ledgerlink.console.reading import Snapshot, snapshot
from ledgerlink.dbt import latest_results
from ledgerlink.settings import Settings
from ledgerlink.warehouse import SNAPSHOT_SCHEMAS

router = APIRouter()
FINDINGS_SHOWN = 50
RECONCILIATION_COLUMNS = (
    "customer_name", "infor_customer_number", "month_start", "currency_code",
    "freshbooks_invoiced_amount", "infor_invoiced_amount", "invoiced_difference_amount",
    "freshbooks_paid_amount", "infor_reconciled_amount", "payments_difference_amount",
    "is_invoiced_drift", "is_payments_drift",
)  # fmt: skip
AGING_COLUMNS = (
    "customer_name", "infor_customer_number", "currency_code", "current_amount",
    "days_1_30_amount", "days_31_60_amount", "days_61_90_amount", "days_over_90_amount",
    "total_outstanding_amount", "infor_open_amount", "infor_difference_amount",
    "is_infor_in_agreement",
)  # fmt: skip
FORECAST_COLUMNS = (
    "week_number", "week_starts_on", "week_ends_on", "currency_code", "expected_amount",
    "invoice_count", "past_expected_amount",
)  # fmt: skip
TABLES = {
    "reconciliation": ("marts.reconciliation", RECONCILIATION_COLUMNS,
                       "order by month_start desc, customer_name"),
    "ar-aging": ("marts.ar_aging", AGING_COLUMNS, "order by total_outstanding_amount desc"),
    "cash-forecast": ("marts.cash_forecast", FORECAST_COLUMNS,
                      "order by week_number, currency_code"),
}  # fmt: skip


def _rows(snap: Snapshot, name: str, where: str = "") -> list[dict[str, Any]]:
    table, columns, order = TABLES[name]
    schema, model = table.split(".")
    if not snap.has(schema, model):
        return []
    present = [c for c in columns if c in snap.columns(schema, model)]
    return snap.rows(f"select {', '.join(present)} from {table} {where} {order}")


def monthly_totals(rows: list[dict[str, Any]]) -> tuple[list[str], list[Decimal], list[Decimal]]:
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        month = row["month_start"].strftime("%Y-%m")
        totals[month][0] += row["freshbooks_invoiced_amount"] or 0
        totals[month][1] += row["infor_invoiced_amount"] or 0
    months = sorted(totals)[-12:]
    return months, [totals[m][0] for m in months], [totals[m][1] for m in months]


@router.get("/reconciliation", response_class=HTMLResponse)
def reconciliation_page(request: Request, drift_only: str = "") -> HTMLResponse:
    config = web.settings(request)
    with snapshot(config) as snap:
        where = "where is_invoiced_drift or is_payments_drift" if drift_only else ""
        reconciliation = _rows(snap, "reconciliation", where)
        aging = _rows(snap, "ar-aging")
        forecast = _rows(snap, "cash-forecast")
        findings = anomaly_findings(snap, config)
        every_month = _rows(snap, "reconciliation")
    months, freshbooks, infor = monthly_totals(every_month)
    weeks = [r["week_starts_on"].isoformat() for r in forecast]
    return web.render(
        request,
        "reconciliation.html",
        snapshot=snap,
        drift_only=bool(drift_only),
        reconciliation=reconciliation,
        aging=aging,
        forecast=forecast,
        findings=findings,
        invoiced_chart=bars(
            "Invoiced per month: FreshBooks against Infor",
            months,
            [("FreshBooks", freshbooks), ("Infor M3", infor)],
        ),
        forecast_chart=bars(
            "Expected collections per week",
            weeks,
            [("expected", [r["expected_amount"] for r in forecast])],
        ),
        aging_chart=bars(
            "Open receivables by age",
            ["current", "1-30", "31-60", "61-90", "90+"],
            [
                (
                    "outstanding",
                    [sum((r[c] or 0 for r in aging), Decimal(0)) for c in AGING_COLUMNS[3:8]],
                )
            ],
        ),
    )


@router.get("/reconciliation/{name}.csv")
def download(request: Request, name: str) -> Response:
    if name not in TABLES:
        return web.render(request, "message.html", 404, heading="Not found", text=name)
    with snapshot(web.settings(request)) as snap:
        rows = _rows(snap, name)
    return web.csv_response(name, TABLES[name][1], rows)


@router.get("/anomalies.csv")
def download_findings(request: Request) -> Response:
    config = web.settings(request)
    with snapshot(config) as snap:
        findings = anomaly_findings(snap, config)
    return web.csv_response(
        "anomalies",
        ("test", "model", "status", "failures", "message", "row"),
        (
            {**finding, "row": json.dumps(row, default=str)}
            for finding in findings
            for row in (finding["rows"] or [{}])
        ),
    )


def anomaly_findings(snap: Snapshot, settings: Settings) -> list[dict[str, Any]]:
    """The warn tests that found rows when dbt last ran them, each with (some of) those rows."""
    findings = []
    for result in latest_results(settings):
        if result.get("status") != "warn":
            continue
        name = result["unique_id"].split(".")[2]
        findings.append(
            {
                "test": name,
                "model": _tested_model(result),
                "status": "warn",
                "failures": result.get("failures"),
                "message": result.get("message"),
                "rows": _rows_found(snap, result.get("compiled_code") or ""),
                "generated_at": _finished_at(result),
            }
        )
    return findings


def _finished_at(result: dict[str, Any]) -> str | None:
    """When dbt finished running the test (the end of its last timing step)."""
    timing = result.get("timing") or []
    return timing[-1].get("completed_at") if timing else None


def _tested_model(result: dict[str, Any]) -> str:
    found = re.search(
        r'"(marts|staging|intermediate)"\."([a-z_0-9]+)"', result.get("compiled_code") or ""
    )
    return found.group(2) if found else ""


def _rows_found(snap: Snapshot, sql: str) -> list[dict[str, Any]]:
    """Run the test's compiled SQL on the snapshot when every relation it reads is there."""
    relations = re.findall(r'"[^"]+"\."([a-z_]+)"\."[a-z_0-9]+"', sql)
    if not sql or not relations or not set(relations) <= set(SNAPSHOT_SCHEMAS):
        return []
    schemas = "|".join(SNAPSHOT_SCHEMAS)
    local = re.sub(rf'"[^"]+"\.("(?:{schemas})"\.)', r"\1", sql)
    try:
        return snap.rows(f"select * from ({local}) as found limit {FINDINGS_SHOWN}")
    except duckdb.Error:
        return []
