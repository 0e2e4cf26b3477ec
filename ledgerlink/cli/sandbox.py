"""`ledgerlink sandbox up|down|status`: the local emulators of FreshBooks, Infor M3 and the shop."""

from __future__ import annotations

import typer

from ledgerlink.cli.common import run_guarded, settings
from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import load_settings
from sandbox import runner
from sandbox.options import PROFILES, SandboxOptions, sandbox_options, split_list

WIDTH = 13  # the longest label: history_years

app = typer.Typer(
    help="Run the local FreshBooks, Infor M3 and shop emulators.", no_args_is_help=True
)


def _listed(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else split_list(text)


@app.command()
@run_guarded
def up(
    seed: int = typer.Option(42, help="Seed of the generated data."),
    scale: float = typer.Option(1.0, help="Data size: 1 = 200 invoices, 500 = 100,000."),
    profile: str = typer.Option(
        "default", help=f"Named variant: {', '.join(PROFILES)}. The options below override it."
    ),
    systems: str | None = typer.Option(
        None, help="Emulators to run, e.g. freshbooks,infor (default: all three)."
    ),
    empty: str | None = typer.Option(
        None, help="Entities with no rows, e.g. freshbooks.credit_notes,infor.suppliers."
    ),
    null_optional_fields: str | None = typer.Option(
        None,
        help="Optional fields null on every row: a set (line-taxes, line-details, clients, all) "
        "or system.entity.field names.",
    ),
    history_years: int | None = typer.Option(
        None, min=1, help="Years of transactions before the world's anchor (default 1)."
    ),
    m3_wording: str | None = typer.Option(
        None, help="M3 error wording: sandbox ('does not exist') or reference ('is invalid')."
    ),
    tenant: str | None = typer.Option(
        None, help="M3 tenant codes: default (TPLUSD, SO1, A01) or other (CUSTDOM, C10, W10)."
    ),
    taxed: bool | None = typer.Option(
        None, "--taxed/--untaxed", help="Invoice lines taxed by the client's jurisdiction."
    ),
    m3_line_tax: str | None = typer.Option(
        None, help="VAT of an M3 order line with no code of its own: customer or none."
    ),
    receipt_text: str | None = typer.Option(
        None,
        help="Text M3 writes on a cash receipt's AR payment: statement, bank-reference or "
        "payment-date.",
    ),
    unsupported: str | None = typer.Option(
        None,
        help="Endpoints that are not there, e.g. freshbooks.credit_notes:404,"
        "infor.MWS411MI/LstDelLnByOrd:501.",
    ),
    latency_ms: int | None = typer.Option(
        None, min=0, help="Every API request is answered this many milliseconds later."
    ),
) -> None:
    """Start the emulators in the background and write `<home>/sandbox.env`."""
    home = settings().home
    try:
        options = sandbox_options(
            profile,
            systems=_listed(systems),
            empty=_listed(empty),
            null_fields=_listed(null_optional_fields),
            history_years=history_years,
            m3_wording=m3_wording,
            tenant=tenant,
            taxed=taxed,
            m3_line_tax=m3_line_tax,
            receipt_text=receipt_text,
            unsupported=_listed(unsupported),
            latency_ms=latency_ms,
        )
        info = runner.start(home, seed=seed, scale=scale, options=options)
    except ValueError as exc:
        raise LedgerlinkError(f"sandbox options: {exc}") from exc
    except runner.SandboxError as exc:
        raise LedgerlinkError(str(exc)) from exc
    _show(info)
    typer.echo(f"{'settings':<{WIDTH}} {runner.SandboxPaths(home).env}")
    if "freshbooks" in info["urls"]:
        # The sandbox's sign-in page approves by itself: leave the project ready to use, with a
        # grant from this sandbox (one from an earlier sandbox would be refused).
        config = load_settings()
        authorize_headless(config, FreshBooksTokenManager(config))
        typer.echo(f"{'authorized':<{WIDTH}} FreshBooks (the sandbox approves by itself)")


@app.command()
@run_guarded
def down() -> None:
    """Stop the emulators and remove `<home>/sandbox.env`."""
    stopped = runner.stop(settings().home)
    typer.echo("sandbox stopped" if stopped else "no sandbox was running")


@app.command()
@run_guarded
def status() -> None:
    """Show whether the sandbox runs, where, and which variant of the world it serves."""
    info = runner.status(settings().home)
    if info is None:
        typer.echo("sandbox is not running (start it with `ledgerlink sandbox up`)")
        raise typer.Exit(code=1)
    typer.echo(f"sandbox running (pid {info['pid']}, seed {info['seed']}, scale {info['scale']})")
    _show(info)


def _show(info: dict) -> None:
    """The variant (profile, then each option it changes) and the emulators' addresses."""
    options = SandboxOptions.from_dict(info.get("options", {}))
    typer.echo(f"{'profile':<{WIDTH}} {options.profile}")
    for name, value in options.differences().items():
        shown = ",".join(map(str, value)) if isinstance(value, list) else value
        typer.echo(f"{name:<{WIDTH}} {shown}")
    for name, url in info["urls"].items():
        typer.echo(f"{name:<{WIDTH}} {url}")
