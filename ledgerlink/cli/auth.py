"""`ledgerlink auth freshbooks`: the OAuth authorization-code grant, by paste or local listener."""

from __future__ import annotations

import errno
import webbrowser

import typer

from ledgerlink.auth.redirect import RedirectListener
from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import (
    AUTH_COMMAND,
    CODE_LIFETIME_SECONDS,
    Authorization,
    ReceiveMode,
    authorize_headless,
    receive_mode,
)
from ledgerlink.errors import AuthError, ConfigurationError, LedgerlinkError

app = typer.Typer(help="Authorize ledgerlink against the APIs.", no_args_is_help=True)


@app.command()
@run_guarded
def freshbooks(
    paste: bool = typer.Option(
        False,
        "--paste",
        help="Print the sign-in page and read back the address the browser was sent to "
        "(the default for an https redirect URI, as FreshBooks requires).",
    ),
    listen: bool = typer.Option(
        False,
        "--listen",
        help="Receive the browser's redirect here (the default for an "
        "http://127.0.0.1:<port> or http://localhost:<port> redirect URI).",
    ),
    headless: bool = typer.Option(
        False,
        "--headless",
        help="Follow the authorize redirect without a browser (the sandbox approves by itself).",
    ),
    timeout: int = typer.Option(300, help="Seconds to wait for the browser's redirect (listen)."),
) -> None:
    """Grant ledgerlink access to a FreshBooks account and store the tokens (mode 0600)."""
    if paste + listen + headless > 1:
        raise LedgerlinkError("choose one of --paste, --listen and --headless")
    config = settings()
    manager = FreshBooksTokenManager(config)
    if headless:
        authorize_headless(config, manager)
    else:
        authorization = Authorization.begin(config)
        forced = ReceiveMode.PASTE if paste else ReceiveMode.LISTEN if listen else None
        mode, why = receive_mode(config, forced)
        typer.echo(f"redirect URI is {authorization.redirect_uri}: {mode} mode ({why})")
        if mode is ReceiveMode.PASTE:
            redirect = _pasted(authorization)
        else:
            redirect = _received(authorization, timeout)
        authorization.finish(manager, authorization.code_from(redirect))
    with FreshBooksClient.from_settings(config, manager) as client:
        business = client.identity().business_memberships[0].business
    typer.echo(f"authorized FreshBooks account {business.account_id} ({business.name})")
    typer.echo(f"tokens stored in {manager.store.path}")


def _pasted(authorization: Authorization) -> str:
    minutes = CODE_LIFETIME_SECONDS // 60
    typer.echo(
        "Open this page in a browser (on any machine), sign in and allow ledgerlink:\n"
        f"  {authorization.url}\n"
        f"The browser is then sent to {authorization.redirect_uri}?code=... and that page fails "
        "to load: that is expected.\n"
        f"Copy its address from the address bar and paste it here within {minutes} minutes "
        "(the code in it expires)."
    )
    return typer.prompt("Address (or just the code)", default="", show_default=False)


def _received(authorization: Authorization, timeout: int) -> str:
    try:
        listener = RedirectListener(authorization.redirect_uri)
    except OSError as exc:
        raise ConfigurationError(_cannot_listen(authorization.redirect_uri, exc)) from None
    with listener:
        typer.echo(f"Open this page to authorize ledgerlink:\n  {authorization.url}")
        webbrowser.open(authorization.url)
        redirect = listener.wait(timeout)
    if redirect is None:
        raise AuthError(
            f"no redirect reached {authorization.redirect_uri} within {timeout} s; run "
            f"`{AUTH_COMMAND}` again (--timeout to wait longer, --paste to paste the address)"
        )
    return redirect


def _cannot_listen(redirect_uri: str, exc: OSError) -> str:
    where = f"cannot listen on {redirect_uri} ({exc.strerror or exc})"
    if exc.errno == errno.EACCES:
        return (
            f"{where}: ports below 1024 need root; set FRESHBOOKS_REDIRECT_URI to a higher port "
            "(e.g. http://127.0.0.1:8765/callback, registered with the app too) or use --paste"
        )
    if exc.errno == errno.EADDRINUSE:
        return f"{where}: another program holds that port; stop it, or use --paste"
    return f"{where}: check FRESHBOOKS_REDIRECT_URI, or use --paste"
