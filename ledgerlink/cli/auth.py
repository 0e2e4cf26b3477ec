"""`ledgerlink auth freshbooks|infor`: grant access to FreshBooks; check the ION connection.

`auth freshbooks` runs the OAuth authorization-code grant (paste, local listener or, on the
sandbox, headless). `auth infor` needs no person (ION's password grant uses the `.ionapi`
service-account keys): it asks ION for a token now and runs one cheap M3 transaction, so it
says which part is wrong, the file, a key, an address, the keys, or the company, in one line.
"""

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
from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.errors import M3Error
from ledgerlink.errors import AuthError, ConfigurationError, LedgerlinkError
from ledgerlink.settings import Settings

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


# Every MI program has GetUserInfo: the API user's own defaults, readable by any user.
WHO_AM_I = ("CRS610MI", "GetUserInfo")
LABEL = 9  # width of the labels `auth infor` prints


@app.command()
@run_guarded
def infor() -> None:
    """Check the ION connection: the .ionapi file, a new token, and who M3 says the account is."""
    config = settings()
    with InforClient.from_settings(config) as client:
        credentials, tokens = client.credentials, client.tokens
        assert credentials is not None and tokens is not None  # built from settings
        typer.echo(f"{'.ionapi':<{LABEL}} {config.infor_ionapi_file} (app {credentials.cn})")
        typer.echo(f"{'tenant':<{LABEL}} {credentials.tenant}")
        token = tokens.renew(from_scratch=True)  # the keys themselves, not a cached token
        until = token.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        typer.echo(f"{'token':<{LABEL}} granted by {credentials.token_url} until {until}")
        try:
            user = client.m3.execute(*WHO_AM_I).record
        except M3Error as refused:
            raise _m3_refusal(config, credentials.m3_base_url, refused) from None
    typer.echo(f"{'M3':<{LABEL}} {credentials.m3_base_url}")
    name = f" ({user['USFN']})" if user.get("USFN") else ""
    typer.echo(f"{'user':<{LABEL}} {user.get('ZZUSID', '?')}{name}")
    company, division = config.infor_cono, config.infor_divi
    typer.echo(f"{'company':<{LABEL}} {company} (INFOR_CONO){_default(user, 'ZDCONO', company)}")
    typer.echo(f"{'division':<{LABEL}} {division} (INFOR_DIVI){_default(user, 'ZDDIVI', division)}")
    typer.echo(
        f"ok: ledgerlink reaches Infor M3 as {user.get('ZZUSID', 'the service account')} in "
        f"company {company}, division {division}; `ledgerlink check` confirms the codes the "
        "settings and mappings name"
    )


def _default(user: dict[str, str], field: str, used: str) -> str:
    """A note when the user's own default differs from the one the settings choose."""
    default = user.get(field, "")
    return f"; the user's default is {default}" if default and default != used else ""


def _m3_refusal(config: Settings, base_url: str, refused: M3Error) -> LedgerlinkError:
    """M3's refusal of the identity call, as the setting or file to change."""
    field, code = refused.error_field, refused.error_code
    if code == "XAU0008" or field == "CONO":
        return ConfigurationError(
            f"INFOR_CONO={config.infor_cono}: M3 does not let the service account use company "
            f"{config.infor_cono} ({refused.api_message} [{code}]); set INFOR_CONO to a company "
            "it may use, or ask the M3 administrator to authorize it for this one"
        )
    if field == "DIVI":
        return ConfigurationError(
            f"INFOR_DIVI={config.infor_divi}: M3 company {config.infor_cono} refuses division "
            f"{config.infor_divi} ({refused.api_message} [{code}]); set INFOR_DIVI to one of "
            "its divisions"
        )
    if refused.status in (401, 403):
        return AuthError(
            f"infor: ION issued a token but M3 refused it (HTTP {refused.status}): the service "
            "account has no M3 access; ask the ION administrator to give its user M3 rights"
        )
    if refused.status == 404:
        return ConfigurationError(
            f"infor: M3 does not answer at {base_url} (HTTP 404): check 'iu' and 'ti' in "
            f"INFOR_IONAPI_FILE {config.infor_ionapi_file}"
        )
    return refused


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
