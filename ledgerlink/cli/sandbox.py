"""`ledgerlink sandbox up|down|status`: the local emulators of FreshBooks, Infor M3 and the shop."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.errors import LedgerlinkError
from sandbox import runner

app = typer.Typer(
    help="Run the local FreshBooks, Infor M3 and shop emulators.", no_args_is_help=True
)


@app.command()
@run_guarded
def up(
    seed: int = typer.Option(42, help="Seed of the generated data."),
    scale: float = typer.Option(1.0, help="Data size: 1 = 200 invoices, 500 = 100,000."),
) -> None:
    """Start the emulators in the background and write `<home>/sandbox.env`."""
    home = settings().home
    try:
        info = runner.start(home, seed=seed, scale=scale)
    except runner.SandboxError as exc:
        raise LedgerlinkError(str(exc)) from exc
    for name, url in info["urls"].items():
        typer.echo(f"{name:<11} {url}")
    typer.echo(f"settings   {runner.SandboxPaths(home).env}")


@app.command()
@run_guarded
def down() -> None:
    """Stop the emulators and remove `<home>/sandbox.env`."""
    stopped = runner.stop(settings().home)
    typer.echo("sandbox stopped" if stopped else "no sandbox was running")


@app.command()
@run_guarded
def status() -> None:
    """Show whether the sandbox runs, and where."""
    info = runner.status(settings().home)
    if info is None:
        typer.echo("sandbox is not running (start it with `ledgerlink sandbox up`)")
        raise typer.Exit(code=1)
    typer.echo(f"sandbox running (pid {info['pid']}, seed {info['seed']}, scale {info['scale']})")
    for name, url in info["urls"].items():
        typer.echo(f"{name:<11} {url}")
