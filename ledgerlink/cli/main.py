"""The `ledgerlink` command line: one entry point for every verb (`ledgerlink.cli:app`)."""

from __future__ import annotations

import typer

from ledgerlink.cli import auth, demo, dlq, sandbox, webhooks
from ledgerlink.cli.check import check_command
from ledgerlink.cli.common import run_guarded
from ledgerlink.cli.config import config_command
from ledgerlink.cli.dbt_command import dbt_command
from ledgerlink.cli.extract import extract_command
from ledgerlink.cli.push import push_command, sync_command
from ledgerlink.cli.status import status_command
from ledgerlink.cli.transform import transform_command

app = typer.Typer(
    name="ledgerlink",
    help="Keep FreshBooks and Infor M3 in step through a DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
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
app.add_typer(webhooks.app, name="webhooks")
app.command("demo")(run_guarded(demo.demo))

__all__ = ["app"]
