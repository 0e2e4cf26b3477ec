"""Running the receiver under uvicorn on a socket we bind ourselves.

Binding first turns "address in use" into a one-line error before anything starts, makes
`--port 0` (any free port) usable, and lets tests run the same server in a thread.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from ledgerlink.errors import ConfigurationError


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({exc.strerror}); pick another --host/--port"
        ) from None
    # Listening now, not when uvicorn gets to it: a delivery that arrives while the app starts
    # waits in the backlog instead of being refused.
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class AnnouncedServer(uvicorn.Server):
    """Calls `on_started` once it serves: by then its own Ctrl-C and SIGTERM handlers are in
    place, so a caller told "listening" can stop it at once and it stops cleanly."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_started is not None:
            self.on_started()


def build_server(
    app: FastAPI, *, log_level: str = "warning", on_started: Callable[[], None] | None = None
) -> uvicorn.Server:
    """A uvicorn server for `app`; call `.run(sockets=[bind(...)])` to serve until stopped."""
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on")
    return AnnouncedServer(config, on_started)
