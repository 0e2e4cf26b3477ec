"""The enrichment page: each declared extra source (enrichment.yml), which customers it enriched
and which it found no match for, from `intermediate.int_customers_enriched` in the snapshot."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ledgerlink.console import web
from ledgerlink.console.reading import Snapshot, snapshot
from pipelines.enrichment import declarations_file, load_enrichments

router = APIRouter()
TABLE = ("intermediate", "int_customers_enriched")
SHOWN = 200


def enrichment_fields(snap: Snapshot) -> list[str]:
    """The fields an enrichment adds to customers (what field mappings may use)."""
    if not snap.has(*TABLE):
        return []
    return [c for c in snap.columns(*TABLE) if c.startswith("crm_") and c != "crm_source_line"]


@router.get("/enrichment", response_class=HTMLResponse)
def enrichment_page(request: Request, status: str = "") -> HTMLResponse:
    config = web.settings(request)
    declared = load_enrichments()
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    with snapshot(config) as snap:
        available = snap.has(*TABLE)
        if available:
            counts = {
                r["enrichment_status"]: r["n"]
                for r in snap.rows(
                    "select enrichment_status, count(*) as n "
                    "from intermediate.int_customers_enriched group by 1"
                )
            }
            where = "where enrichment_status = ?" if status else ""
            rows = snap.rows(
                f"select e.*, c.customer_name from intermediate.int_customers_enriched e "
                f"left join marts.dim_customers c on e.client_key = c.customer_key {where} "
                f"order by enrichment_status, client_key limit {SHOWN}",
                [status] if status else [],
            )
        fields = enrichment_fields(snap)
    return web.render(
        request,
        "enrichment.html",
        snapshot=snap,
        declared=declared,
        declarations=str(declarations_file()),
        files={e.name: (str(e.path(config)), e.path(config).is_file()) for e in declared},
        available=available,
        counts=counts,
        rows=rows,
        fields=fields,
        status=status,
        shown=SHOWN,
    )
