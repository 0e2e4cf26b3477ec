"""`ledgerlink demo`: the sandbox, what the connectors read from each API, then a full sync."""

from __future__ import annotations

import time
from collections.abc import Iterable

import typer

from ledgerlink.cli.common import settings, table
from ledgerlink.cli.push import MAX_SYNC_PASSES, print_report, run_push
from ledgerlink.cli.transform import build_models
from ledgerlink.connectors.freshbooks import RESOURCES, FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.shop import ShopClient
from ledgerlink.errors import LedgerlinkError
from ledgerlink.records import Rejected, partition
from ledgerlink.settings import Settings, load_settings
from ledgerlink.warehouse import connect
from pipelines.extract import extract
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
    for number in range(1, MAX_SYNC_PASSES + 1):
        results = extract(fast)
        build_models(fast)
        report = run_push(fast, None, dry_run=False, command="demo")
        loaded = sum(r.total_rows for r in results)
        typer.echo(
            f"  pass {number}: {loaded} rows loaded; pushed {report.total('created')} new, "
            f"{report.total('updated')} updated, {report.total('waiting')} waiting"
        )
        if report.total("waiting") == 0 or report.total("created") == 0:
            break
    typer.echo("")
    print_report(report)
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
    typer.echo("next: `ledgerlink sync` runs it again (nothing is left: it plans 0 writes);")
    typer.echo(
        "      `ledgerlink dlq list` lists dead letters; `ledgerlink sandbox down` stops it all"
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
