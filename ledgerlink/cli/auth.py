"""`ledgerlink auth freshbooks`: the OAuth authorization-code grant with a local redirect."""

from __future__ import annotations

import threading
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import typer

from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.connectors.freshbooks import (
    FreshBooksClient,
    FreshBooksTokenManager,
    authorization_url,
)
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.errors import AuthError

app = typer.Typer(help="Authorize ledgerlink against the APIs.", no_args_is_help=True)


class _RedirectCatcher(BaseHTTPRequestHandler):
    """Receives the browser's redirect and keeps the query for the waiting command."""

    received: ClassVar[dict[str, list[str]]] = {}
    done = threading.Event()

    def do_GET(self) -> None:
        type(self).received = parse_qs(urlparse(self.path).query)
        type(self).done.set()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"ledgerlink is authorized. You can close this tab.")

    def log_message(self, *args: object) -> None:  # keep the code out of the terminal
        pass


@app.command()
@run_guarded
def freshbooks(
    headless: bool = typer.Option(
        False,
        help="Follow the authorize redirect without a browser (the sandbox approves by itself).",
    ),
    timeout: int = typer.Option(300, help="Seconds to wait for the browser's redirect."),
) -> None:
    """Grant ledgerlink access to a FreshBooks account and store the tokens (mode 0600)."""
    config = settings()
    manager = FreshBooksTokenManager(config)
    if headless:
        authorize_headless(config, manager)
    else:
        redirect = urlparse(config.freshbooks_redirect_uri)
        url, state = authorization_url(config)
        server = HTTPServer(
            (redirect.hostname or "127.0.0.1", redirect.port or 80), _RedirectCatcher
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        typer.echo(f"Open this page to authorize ledgerlink:\n  {url}")
        webbrowser.open(url)
        got = _RedirectCatcher.done.wait(timeout)
        server.shutdown()
        query = _RedirectCatcher.received
        if not got or "code" not in query:
            raise AuthError("no authorization arrived; run `ledgerlink auth freshbooks` again")
        if query.get("state", [""])[0] != state:
            raise AuthError("authorization state mismatch; run `ledgerlink auth freshbooks` again")
        manager.exchange_code(query["code"][0])
    with FreshBooksClient.from_settings(config, manager) as client:
        business = client.identity().business_memberships[0].business
    typer.echo(f"authorized FreshBooks account {business.account_id} ({business.name})")
    typer.echo(f"tokens stored in {manager.store.path}")
