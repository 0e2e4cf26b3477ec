"""The operator console: web pages over the readers' snapshot, actions through the services.

`announce(settings)` starts the console in the background (or finds it) and returns the lines a
command prints: its address and how to log in.
"""

from __future__ import annotations

from ledgerlink.settings import Settings


def announce(settings: Settings, port: int | None = None) -> str:
    from ledgerlink.console.auth import token
    from ledgerlink.console.server import start_detached

    state = start_detached(
        settings, host=settings.console_host, port=settings.console_port if port is None else port
    )
    return "\n".join(
        (
            f"operator console: {state['url']}/",
            f"  log in with the token {token(settings.home)}",
            "  (`ledgerlink console --print-token` shows it again; `ledgerlink console --stop` "
            "stops the console)",
        )
    )
