"""`ledgerlink webhooks serve|register|status`: the receiver, its subscriptions, its inbox."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings, so_far, table
from ledgerlink.connectors.freshbooks.client import FreshBooksClient
from ledgerlink.connectors.shop.client import ShopClient
from ledgerlink.errors import ConfigurationError
from ledgerlink.webhooks.inbox import Inbox
from ledgerlink.webhooks.registration import (
    FRESHBOOKS_EVENT_ENTITIES,
    endpoints,
    register_freshbooks,
    register_shop,
)
from ledgerlink.webhooks.verifiers import CallbackVerifiers

app = typer.Typer(
    help="Receive FreshBooks and shop webhooks into the SQLite inbox.", no_args_is_help=True
)


@app.command()
@run_guarded
def serve(
    host: str | None = typer.Option(None, help="Address to listen on [WEBHOOKS_HOST]."),
    port: int | None = typer.Option(None, help="Port to listen on; 0 = any [WEBHOOKS_PORT]."),
) -> None:
    """Run the receiver until interrupted; verified deliveries go to `<home>/inbox.sqlite`."""
    from ledgerlink.webhooks.app import create_app
    from ledgerlink.webhooks.server import bind, build_server, url_of

    config = settings()
    sock = bind(host or config.webhooks_host, config.webhooks_port if port is None else port)
    receiver = create_app(config)

    def announce() -> None:
        typer.echo(f"listening on {url_of(sock)} (inbox {config.inbox_path})")
        if config.system_enabled("shop") and not config.shop_webhook_secret.get_secret_value():
            typer.echo("note: SHOP_WEBHOOK_SECRET is not set, shop deliveries will be refused")

    server = build_server(receiver, on_started=announce)
    try:
        # Ctrl-C and SIGTERM: uvicorn finishes the deliveries in flight, then re-raises.
        server.run(sockets=[sock])
    finally:
        sock.close()
        so_far(f"{receiver.state.counters.summary()}; accepted deliveries are in the inbox")


@app.command()
@run_guarded
def register(
    url: str | None = typer.Option(
        None, help="The receiver's public base URL [WEBHOOKS_PUBLIC_URL]."
    ),
    freshbooks: bool = typer.Option(True, "--freshbooks/--no-freshbooks"),
    shop: bool | None = typer.Option(
        None, "--shop/--no-shop", help="Default: when the shop is connected (`ledgerlink config`)."
    ),
) -> None:
    """Subscribe the receiver at FreshBooks and the shop; what exists already is kept."""
    config = settings()
    if shop and not config.system_enabled("shop"):
        raise ConfigurationError(
            "--shop: the shop is not connected; set SHOP_API_URL and SHOP_ACCESS_TOKEN "
            "(or LEDGERLINK_SYSTEMS) first"
        )
    shop = config.system_enabled("shop") if shop is None else shop
    freshbooks_uri, shop_uri = endpoints(url or config.webhooks_public_url)
    events = tuple(
        event
        for event, entity in FRESHBOOKS_EVENT_ENTITIES.items()
        if config.entity_enabled("freshbooks", entity)
    )
    done = []
    if freshbooks and events:
        verifiers = CallbackVerifiers(config.inbox_path)
        try:
            trusted = verifiers.trusted_callbacks()
        finally:
            verifiers.close()
        with FreshBooksClient.from_settings(config) as client:
            done += register_freshbooks(client, freshbooks_uri, trusted=trusted, events=events)
    if shop:
        with ShopClient.from_settings(config) as client:
            done += register_shop(client, shop_uri)
    rows = [(r.service, r.event, r.status, r.uri) for r in done]
    typer.echo(table(rows, ("service", "event", "status", "uri")) if rows else "nothing to do")


@app.command()
@run_guarded
def status(limit: int = typer.Option(10, help="How many of the latest events to show.")) -> None:
    """Pending events, trusted FreshBooks verifiers and the latest events in the inbox."""
    config = settings()
    with Inbox.from_settings(config) as inbox:
        pending, last, latest = inbox.pending_count(), inbox.last_id(), inbox.latest(limit)
    verifiers = CallbackVerifiers(config.inbox_path)
    try:
        counts = verifiers.counts()
    finally:
        verifiers.close()
    typer.echo(f"inbox      {config.inbox_path}")
    typer.echo(f"events     {last} received, {pending} pending")
    typer.echo(f"verifiers  {counts['trusted']} trusted, {counts['pending']} pending")
    if latest:
        rows = [
            (
                e.id,
                e.source,
                e.topic,
                e.object_id or "",
                e.received_at.isoformat(timespec="seconds"),
                "yes" if e.drained else "no",
            )
            for e in latest
        ]
        typer.echo("")
        typer.echo(table(rows, ("id", "source", "topic", "object", "received", "drained")))
