"""The `ledgerlink` command line: one entry point for every verb (`ledgerlink.cli:app`)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from ledgerlink.cli.common import (
    DEBUG_VARIABLE,
    INTERRUPTED_EXIT_CODE,
    exit_soon_if_stuck,
    set_invocation,
)


@dataclass(frozen=True)
class Command:
    """Where a command (a function, or a `typer.Typer` of subcommands) is defined."""

    module: str
    attribute: str
    context_settings: dict[str, Any] = field(default_factory=dict)


# Each command's module is imported when that command runs (and all of them for `--help`): a
# command loads only the libraries it uses, so `ledgerlink status` need not import dlt, dbt and
# the web frameworks first. In the order `--help` lists them.
COMMANDS: dict[str, Command] = {
    "extract": Command("ledgerlink.cli.extract", "extract_command"),
    "transform": Command("ledgerlink.cli.transform", "transform_command"),
    "push": Command("ledgerlink.cli.push", "push_command"),
    "sync": Command("ledgerlink.cli.push", "sync_command"),
    "status": Command("ledgerlink.cli.status", "status_command"),
    "check": Command("ledgerlink.cli.check", "check_command"),
    "config": Command("ledgerlink.cli.config", "config_command"),
    "dbt": Command(
        "ledgerlink.cli.dbt_command",
        "dbt_command",
        {"allow_extra_args": True, "ignore_unknown_options": True},
    ),
    "demo": Command("ledgerlink.cli.demo", "demo_command"),
    "sandbox": Command("ledgerlink.cli.sandbox", "app"),
    "auth": Command("ledgerlink.cli.auth", "app"),
    "dlq": Command("ledgerlink.cli.dlq", "app"),
    "review": Command("ledgerlink.cli.review", "app"),
    "mapping": Command("ledgerlink.cli.mapping", "app"),
    "webhooks": Command("ledgerlink.cli.webhooks", "app"),
    "console": Command("ledgerlink.cli.console", "app"),
}


class LazyCommands(TyperGroup):
    """The top-level commands, each built from its module on first use."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> TyperCommand | TyperGroup | None:
        where = COMMANDS.get(cmd_name)
        if where is None:
            return None
        found = getattr(importlib.import_module(where.module), where.attribute)
        if isinstance(found, typer.Typer):
            command: TyperCommand | TyperGroup = typer.main.get_group(found)
        else:
            single = typer.Typer()
            single.command(cmd_name, context_settings=where.context_settings)(found)
            command = typer.main.get_command(single)
        command.name = cmd_name
        return command


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
    cls=LazyCommands,
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


__all__ = ["app"]
