"""`ledgerlink demo`: start the sandbox and show what the connectors read from each API."""

from __future__ import annotations

import time
from collections.abc import Iterable

import typer

from ledgerlink.cli.common import settings, table
from ledgerlink.connectors.freshbooks import RESOURCES, FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.shop import ShopClient
from ledgerlink.errors import LedgerlinkError
from ledgerlink.records import Rejected, partition
from ledgerlink.settings import Settings, load_settings
from pipelines.extract import extract
from sandbox import runner


def demo(
    seed: int = typer.Option(42, help="Seed of the sandbox data."),
    scale: float = typer.Option(1.0, help="Sandbox data size (1 = 200 invoices)."),
) -> None:
    """Start the sandbox, authorize, and read every entity through the connectors."""
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

    typer.echo("\nloading everything into the warehouse ...")
    results = extract(config)
    loaded = [(r.dataset, len(r.rows), r.total_rows, f"{r.seconds:.1f}s") for r in results]
    typer.echo(table(loaded, ("dataset", "tables", "rows loaded", "time")))
    typer.echo(f"\nwarehouse:        {config.warehouse}")
    typer.echo(f"sandbox settings: {runner.SandboxPaths(home).env}")
    typer.echo(
        "try:  uv run python -c \"import duckdb; print(duckdb.connect('"
        f"{config.warehouse}"
        "', read_only=True).sql('select count(*) from raw_freshbooks.invoices'))\""
    )
    typer.echo(
        "next: `ledgerlink extract` loads what changed; `ledgerlink sandbox down` stops the sandbox"
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
