"""`ledgerlink demo`: the sandbox, what the connectors read from each API, then a full sync."""

from __future__ import annotations

import time
from collections.abc import Iterable

import httpx
import typer

from ledgerlink.cli.common import settings, table
from ledgerlink.cli.push import print_report, run_sync, show_pass
from ledgerlink.connectors.freshbooks import RESOURCES, FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.shop import ShopClient
from ledgerlink.dbt import build_models
from ledgerlink.errors import LedgerlinkError
from ledgerlink.records import Rejected, partition
from ledgerlink.settings import Settings, load_settings
from ledgerlink.warehouse import connect
from pipelines.extract import extract
from reverse_etl.push import run_push
from reverse_etl.runner import select_syncs
from sandbox import runner


def demo(
    seed: int = typer.Option(42, help="Seed of the sandbox data."),
    scale: float = typer.Option(1.0, help="Sandbox data size (1 = 200 invoices)."),
) -> None:
    """Start the sandbox, read every API through the connectors, then sync: extract, dbt, push."""
    home = settings().home
    typer.echo("starting the sandbox ...")
    try:
        info = runner.start(home, seed=seed, scale=scale)
    except runner.SandboxError as exc:
        raise LedgerlinkError(str(exc)) from exc
    for name, url in info["urls"].items():
        typer.echo(f"  {name:<11} {url}")
    config = load_settings()  # now with the sandbox's settings

    rows: list[tuple[str, str, int, int]] = []
    rejects: list[Rejected] = []
    started = time.perf_counter()
    rows += _freshbooks_counts(config, rejects)
    rows += _infor_counts(config, rejects)
    if config.system_enabled("shop"):
        rows += _shop_counts(config, rejects)
    typer.echo("")
    typer.echo(table(rows, ("source", "entity", "records", "deleted")))
    typer.echo(
        f"\nread in {time.perf_counter() - started:.1f}s; {len(rejects)} records quarantined"
    )
    for rejected in rejects[:5]:
        typer.echo(f"  quarantined {rejected.source} {rejected.entity}: {rejected.reason}")

    # The sandbox answers as fast as it can: the demo need not keep to the real APIs' limits.
    fast = load_settings(freshbooks_rate_limit=50, infor_rate_limit=50, shop_rate_limit=50)
    typer.echo("\nsyncing: extract -> dbt build -> push, until nothing waits ...")
    infor_url = info["urls"]["infor"]
    planted: list[str | None] = []
    report = run_sync(
        fast,
        before_first_push=lambda: planted.append(_plant_a_refused_journal(fast, infor_url)),
        on_pass=show_pass,
    )
    print_report(report)

    typer.echo("\nin Infor, the warehouse ships and invoices some of those orders ...")
    shipped = _ship_and_invoice(fast, infor_url)
    typer.echo(f"  {len(shipped)} orders shipped and invoiced in Infor (sandbox controls)")
    typer.echo("syncing again: shipments and payments flow back ...")
    report = run_sync(fast, on_pass=show_pass)
    counts = {s.sync: s.counts for s in report.syncs}
    typer.echo(
        f"  FreshBooks invoices marked sent with the Infor delivery: "
        f"{counts['freshbooks_invoice_status']['updated']}; "
        f"payments booked as Infor cash receipts: {counts['infor_cash_receipts']['created']}"
    )
    _order_to_cash_summary(fast)
    if planted and planted[0]:
        _show_the_dead_letter(fast, planted[0], infor_url)
    with connect(fast) as con:
        rejects = con.execute(
            "select reason, count(*) from sync.sync_rejects group by 1 order by 2 desc"
        ).fetchall()
    typer.echo(f"\nheld back with a reason (sync.sync_rejects): {sum(n for _, n in rejects)} rows")
    for reason, count in rejects[:10]:
        typer.echo(f"  {count:>4}  {reason}")
    typer.echo(f"\nwarehouse:        {config.warehouse}")
    typer.echo(f"sandbox settings: {runner.SandboxPaths(home).env}")
    typer.echo("try (read-only SQL on the warehouse):")
    query = "select * from marts.ar_aging order by total_outstanding_amount desc limit 5"
    typer.echo(
        f"  uv run python -c \"import duckdb; c = duckdb.connect('{config.warehouse}', "
        f"read_only=True); print(c.sql('{query}'))\""
    )
    typer.echo(
        "  and: marts.cash_forecast, marts.reconciliation, marts.fct_invoices, ops.sync_records"
    )
    typer.echo("next: `ledgerlink sync --dry-run` shows what a sync would change, field by field;")
    typer.echo(
        "      `ledgerlink dlq list` lists dead letters; `ledgerlink sandbox down` stops it all"
    )
    typer.echo(
        "the Dagster UI: `make dev` (sandbox + webhook receiver + `dagster dev`), then open "
        f"{config.dagster_ui_url} for the lineage (raw -> staging -> marts -> sync -> push), "
        "runs, checks and alerts"
    )


def _ship_and_invoice(config: Settings, infor_url: str, count: int = 6) -> list[str]:
    """Ship and invoice pushed orders in Infor: half of them paid in FreshBooks already (their
    receipts follow), half still drafts in FreshBooks (they get marked sent)."""
    with connect(config) as con:
        orders = con.execute(
            "select r.target_id, i.status = 'draft' as is_draft from ops.sync_records r "
            "join marts.fct_invoices i on i.invoice_number = r.natural_key "
            "where r.entity = 'customer_orders' and r.target_id is not null and not i.is_deleted "
            "and (i.status = 'draft' or (i.paid_amount = i.amount and i.amount > 0)) "
            "qualify row_number() over (partition by is_draft order by r.natural_key) <= ? "
            "order by r.natural_key",
            [count // 2],
        ).fetchall()
    for order_number, _ in orders:
        for step in ("ship", "invoice"):
            url = f"{infor_url}/_sandbox/infor/orders/{order_number}/{step}"
            httpx.post(url, timeout=10).raise_for_status()
    return [order for order, _ in orders]


def _order_to_cash_summary(config: Settings) -> None:
    extract(config)  # read back what both systems now hold
    build_models(config, with_tests=False)
    with connect(config) as con:
        row = con.execute(
            "select count(*) filter (where m3_order_number is not null), "
            "count(*) filter (where shipped_on is not null), "
            "count(*) filter (where is_paid_in_infor) "
            "from marts.fct_invoices"
        ).fetchone()
        journals = con.execute(
            "select count(*) from ops.sync_records where entity = 'gl_journals' "
            "and status in ('created', 'unchanged')"
        ).fetchone()
    typer.echo(
        f"\norder to cash: {row[0]} FreshBooks invoices are Infor orders, {row[1]} shipped, "
        f"{row[2]} paid and reconciled in Infor AR (RECO 9)"
    )
    typer.echo(f"expenses: {journals[0]} FreshBooks expenses are balanced Infor GL journals")


def _plant_a_refused_journal(config: Settings, infor_url: str) -> str | None:
    """Make Infor refuse one planned GL journal every time (as M3 does for a blocked account),
    so the demo shows a record becoming a dead letter."""
    with connect(config) as con:
        row = con.execute(
            "select natural_key from sync.sync_infor__gl_journals order by natural_key limit 1"
        ).fetchone()
    if row is None:
        return None
    fault = {
        "program": "GLS840MI",
        "transaction": "AddBatchLineFld",
        "errorCode": "XBL0001",
        "errorMessage": "Account is blocked for posting",
        "field": "AIT1",
        "count": 1000,
        "when": {"KEY1": row[0]},
    }
    httpx.post(f"{infor_url}/_sandbox/infor/faults", json=fault, timeout=10).raise_for_status()
    typer.echo(f"  (planted: Infor will refuse GL journal {row[0]}, as for a blocked account)")
    return str(row[0])


def _show_the_dead_letter(config: Settings, journal: str, infor_url: str) -> None:
    """Retry the refused journal until it runs out of attempts, show its dead letter, then lift
    the refusal so `ledgerlink dlq replay` can write it (once) afterwards."""
    syncs = ["infor_gl_journals"]
    for _ in range(select_syncs(syncs)[0].max_attempts):
        with connect(config) as con:
            dead = con.execute(
                "select left(intent_key, 12), reason from ops.dead_letters "
                "where natural_key = ? and status = 'open'",
                [journal],
            ).fetchone()
        if dead:
            break
        run_push(config, syncs, dry_run=False, command="demo")
    httpx.delete(f"{infor_url}/_sandbox/infor/faults", timeout=10)
    if not dead:
        typer.echo(f"\nthe planted refusal of journal {journal} did not become a dead letter")
        return
    typer.echo(f"\ndead letter {dead[0]} (GL journal {journal}): {dead[1]}")
    typer.echo(
        "  Infor refused it on every attempt. Fix the cause (here the sandbox has lifted the "
        f"refusal), then `ledgerlink dlq replay {dead[0]}` and `ledgerlink push`: written once."
    )


def _freshbooks_counts(
    config: Settings, rejects: list[Rejected]
) -> list[tuple[str, str, int, int]]:
    manager = FreshBooksTokenManager(config)
    if manager.store.load() is None:
        typer.echo("authorizing FreshBooks (the sandbox approves by itself) ...")
        authorize_headless(config, manager)
    rows = []
    with FreshBooksClient.from_settings(config, manager) as client:
        typer.echo(f"FreshBooks account {client.account_id}")
        for name, resource in RESOURCES.items():
            active = _count(client.list(name, search=Search()), rejects)
            deleted = (
                _count(client.list(name, search=Search(vis_state=1)), rejects)
                if resource.soft_delete
                else 0
            )
            rows.append(("freshbooks", name, active, deleted))
    return rows


def _infor_counts(config: Settings, rejects: list[Rejected]) -> list[tuple[str, str, int, int]]:
    with InforClient.from_settings(config) as infor:
        typer.echo(f"Infor M3 tenant {infor.credentials.ti}, company {config.infor_cono}")
        customers = list(infor.customers.list_customers())
        orders = [o for c in customers for o in infor.orders.list_heads(c.customer_number)]
        ar_items = [
            item
            for c in customers
            for item in infor.receivables.list_for_customer(c.customer_number)
        ]
        return [
            ("infor", "customers (CRS610MI)", len(customers), 0),
            ("infor", "customer orders (OIS100MI)", len(orders), 0),
            ("infor", "AR items (ARS200MI)", len(ar_items), 0),
            ("infor", "items (MMS200MI)", sum(1 for _ in infor.items.list_items()), 0),
            ("infor", "GL accounts (CRS630MI)", sum(1 for _ in infor.accounts.list_accounts()), 0),
            ("infor", "suppliers (CRS620MI)", len(infor.suppliers.list_suppliers()), 0),
        ]


def _shop_counts(config: Settings, rejects: list[Rejected]) -> list[tuple[str, str, int, int]]:
    with ShopClient.from_settings(config) as shop:
        return [
            ("shop", "orders", _count(shop.orders(), rejects), 0),
            ("shop", "customers", _count(shop.customers(), rejects), 0),
            ("shop", "products", _count(shop.products(), rejects), 0),
        ]


def _count(results: Iterable[object], rejects: list[Rejected]) -> int:
    records, rejected = partition(results)  # type: ignore[arg-type]
    rejects.extend(rejected)
    return len(records)
