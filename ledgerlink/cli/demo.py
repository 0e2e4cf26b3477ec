"""`ledgerlink demo`: start the sandbox and show what the connectors read from each API."""

from __future__ import annotations

import time

import typer

from ledgerlink.cli.common import settings, table
from ledgerlink.connectors.freshbooks import RESOURCES, FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.records import Rejected
from ledgerlink.settings import load_settings
from sandbox import runner


def demo(
    seed: int = typer.Option(42, help="Seed of the sandbox data."),
    scale: float = typer.Option(1.0, help="Sandbox data size (1 = 200 invoices)."),
) -> None:
    """Start the sandbox, authorize, and read every entity through the connectors."""
    home = settings().home
    typer.echo("starting the sandbox ...")
    info = runner.start(home, seed=seed, scale=scale)
    for name, url in info["urls"].items():
        typer.echo(f"  {name:<11} {url}")
    config = load_settings()  # now with the sandbox's settings

    manager = FreshBooksTokenManager(config)
    if manager.store.load() is None:
        typer.echo("authorizing FreshBooks (the sandbox approves by itself) ...")
        authorize_headless(config, manager)

    rows, rejects = [], []
    started = time.perf_counter()
    with FreshBooksClient.from_settings(config, manager) as client:
        typer.echo(f"FreshBooks account {client.account_id}")
        for name in RESOURCES:
            active = _count(client, name, None, rejects)
            deleted = _count(client, name, 1, rejects) if RESOURCES[name].soft_delete else 0
            rows.append(("freshbooks", name, active, deleted))
    typer.echo("")
    typer.echo(table(rows, ("source", "entity", "active+archived", "deleted")))
    typer.echo(
        f"\nread in {time.perf_counter() - started:.1f}s; {len(rejects)} records quarantined"
    )
    for rejected in rejects[:5]:
        typer.echo(f"  quarantined {rejected.entity}: {rejected.reason}")
    typer.echo(f"\nsandbox settings: {runner.SandboxPaths(home).env}")
    typer.echo("stop the sandbox with `ledgerlink sandbox down`")


def _count(
    client: FreshBooksClient, name: str, vis_state: int | None, rejects: list[Rejected]
) -> int:
    return sum(1 for _ in client.list(name, search=Search(vis_state=vis_state), rejects=rejects))
