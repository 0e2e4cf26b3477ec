"""The `ledgerlink` command line: one entry point for every verb (`ledgerlink.cli:app`)."""

from __future__ import annotations

from typing import Any

import typer

from ledgerlink.cli import auth, console, demo, dlq, mapping, review, sandbox, webhooks
from ledgerlink.cli.check import check_command
from ledgerlink.cli.common import (
    DEBUG_VARIABLE,
    INTERRUPTED_EXIT_CODE,
    exit_soon_if_stuck,
    run_guarded,
    set_invocation,
)
from ledgerlink.cli.config import config_command
from ledgerlink.cli.dbt_command import dbt_command
from ledgerlink.cli.extract import extract_command
from ledgerlink.cli.push import push_command, sync_command
from ledgerlink.cli.status import status_command
from ledgerlink.cli.transform import transform_command


class LedgerlinkApp(typer.Typer):
    """The app as the `ledgerlink` executable runs it: after an interruption, the process
    ends within seconds even if a library left a thread waiting on the network."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as exit_:
            if exit_.code == INTERRUPTED_EXIT_CODE:
                exit_soon_if_stuck()
            raise


app = LedgerlinkApp(
    name="ledgerlink",
    help="Keep FreshBooks and Infor M3 in step through a DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    context: typer.Context,
    debug: bool = typer.Option(
        False,
        "--debug",
        envvar=DEBUG_VARIABLE,
        help=f"Print the traceback of an error or interruption (also {DEBUG_VARIABLE}=1).",
    ),
) -> None:
    """Keep FreshBooks and Infor M3 in step through a DuckDB warehouse."""
    set_invocation(context.invoked_subcommand, debug=debug)


app.add_typer(sandbox.app, name="sandbox")
app.add_typer(auth.app, name="auth")
app.command("extract")(extract_command)
app.command("transform")(transform_command)
app.command("push")(push_command)
app.command("sync")(sync_command)
app.command("status")(status_command)
app.command("check")(check_command)
app.command("config")(config_command)
app.command("dbt", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    dbt_command
)
app.add_typer(dlq.app, name="dlq")
app.add_typer(review.app, name="review")
app.add_typer(mapping.app, name="mapping")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(console.app, name="console")
app.command("demo")(
    run_guarded(
        demo.demo,
        interrupted="the sandbox may still run: `ledgerlink sandbox down` stops it; "
        "`ledgerlink sync` finishes what the demo started",
    )
)

__all__ = ["app"]
