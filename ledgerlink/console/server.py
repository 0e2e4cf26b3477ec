"""Serving the console: uvicorn on a socket bound first (loopback by default), and a detached
console for the demo that later commands find again and stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ledgerlink.auth.files import open_private
from ledgerlink.console.app import create_app
from ledgerlink.console.auth import console_folder
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from ledgerlink.webhooks.server import bind, url_of

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8790
READY_SECONDS = 20.0


def build_server(
    settings: Settings,
    *,
    root_path: str = "",
    secure_cookies: bool = False,
    forwarded_allow_ips: str = "127.0.0.1",
) -> uvicorn.Server:
    app = create_app(settings, root_path=root_path, secure_cookies=secure_cookies)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,  # a request line may carry a search term: pages log what matters
        lifespan="off",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        root_path=root_path,
    )
    return uvicorn.Server(config)


def serve(settings: Settings, host: str, port: int, **options: Any) -> None:
    """Serve until Ctrl-C or SIGTERM."""
    sock = bind(host, port)
    server = build_server(settings, **options)
    server.run(sockets=[sock])


# --- a detached console --------------------------------------------------------------------------
def _state_file(settings: Settings) -> Path:
    return console_folder(settings.home) / "server.json"


def running(settings: Settings) -> dict[str, Any] | None:
    """The detached console of this home, if it still answers."""
    path = _state_file(settings)
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
        httpx.get(f"{state['url']}/healthz", timeout=2).raise_for_status()
        return state
    except (ValueError, KeyError, httpx.HTTPError):
        return None


def start_detached(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> dict:
    """Start `ledgerlink console` in the background (or find the one running) and wait until it
    answers; its output goes to <home>/logs/console.log."""
    found = running(settings)
    if found:
        return found
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if port == 0:  # any free port: ask the system for one here, since the child's is not visible
        probe = bind(host, 0)
        port = probe.getsockname()[1]
        probe.close()
    executable = Path(sys.executable).with_name("ledgerlink")
    command = [str(executable), "console", "--host", host, "--port", str(port)]
    with os.fdopen(open_private(logs / "console.log"), "a") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,  # outlives the command that started it, and its Ctrl-C
            env={**os.environ, "LEDGERLINK_HOME": str(settings.home)},
        )
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LedgerlinkError(
                f"the console did not start (exit {process.returncode}): see {logs / 'console.log'}"
            )
        try:
            httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.terminate()
        raise LedgerlinkError(f"the console did not answer at {url} within {READY_SECONDS:.0f} s")
    state = {"pid": process.pid, "url": url}
    path = _state_file(settings)
    with os.fdopen(open_private(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC), "w") as handle:
        json.dump(state, handle)
    return state


def stop_detached(settings: Settings) -> bool:
    """Stop the detached console (by its recorded pid); False when none runs."""
    path = _state_file(settings)
    state = running(settings)
    path.unlink(missing_ok=True)
    if state is None:
        return False
    try:
        os.kill(int(state["pid"]), signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "bind", "build_server", "serve", "url_of"]
