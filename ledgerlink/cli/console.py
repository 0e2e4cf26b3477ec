"""`ledgerlink console`: the operator console on loopback (health, dead letters, reconciliation,
mappings), its login token and users."""

from __future__ import annotations

import sys

import typer

from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.console import auth, server
from ledgerlink.errors import ConfigurationError

app = typer.Typer(help="The operator console: web pages on loopback.")


@app.callback(invoke_without_command=True)
@run_guarded
def console(
    context: typer.Context,
    host: str = typer.Option(
        server.DEFAULT_HOST, envvar="LEDGERLINK_CONSOLE_HOST", help="Address to listen on."
    ),
    port: int = typer.Option(
        server.DEFAULT_PORT, envvar="LEDGERLINK_CONSOLE_PORT", help="Port (0: any free one)."
    ),
    root_path: str = typer.Option(
        "", envvar="LEDGERLINK_CONSOLE_ROOT_PATH", help="Path prefix behind a reverse proxy."
    ),
    secure_cookies: bool = typer.Option(
        False, envvar="LEDGERLINK_CONSOLE_SECURE_COOKIES", help="Reached over https only."
    ),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1",
        envvar="LEDGERLINK_CONSOLE_FORWARDED_ALLOW_IPS",
        help="Proxies whose X-Forwarded-* headers are trusted.",
    ),
    print_token: bool = typer.Option(False, "--print-token", help="Print the login token."),
    new_token: bool = typer.Option(
        False, "--new-token", help="Replace the token and session key (restart the console)."
    ),
    detach: bool = typer.Option(False, "--detach", help="Run in the background."),
    stop: bool = typer.Option(False, "--stop", help="Stop the console run with --detach."),
) -> None:
    """Serve the console until Ctrl-C (log in with the token `--print-token` shows)."""
    if context.invoked_subcommand:
        return
    config = settings()
    if print_token or new_token:
        typer.echo(auth.new_token(config.home) if new_token else auth.token(config.home))
        return
    if stop:
        typer.echo("console stopped" if server.stop_detached(config) else "no console running")
        return
    if detach:
        state = server.start_detached(config, host, port)
        typer.echo(f"console: {state['url']}/ (pid {state['pid']})")
        return
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"warning: listening on {host}: anyone who reaches it sees the login page; put it "
            "behind https (README: The operator console)",
            err=True,
        )
    sock = server.bind(host, port)
    auth.token(config.home)  # made now, so --print-token shows the one in use
    typer.echo(f"console: {server.url_of(sock)}{root_path}/  (Ctrl-C stops it)", err=True)
    uvicorn_server = server.build_server(
        config,
        root_path=root_path,
        secure_cookies=secure_cookies,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    uvicorn_server.run(sockets=[sock])


@app.command("add-user")
@run_guarded
def add_user(
    name: str = typer.Argument(..., help="The user's name."),
    role: str = typer.Option("read-only", help="read-only or operator."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Add (or change) a console user with an argon2-hashed password."""
    config = settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < 12:
        raise ConfigurationError("a console password needs at least 12 characters")
    path = auth.users_file(config.home)
    auth.add_user(path, name, role, password)  # type: ignore[arg-type]
    typer.echo(f"{name} ({role}) can log in; users are in {path}")
