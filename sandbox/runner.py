"""Start, stop and describe the sandbox: every emulator as a real HTTP server on loopback.

`start` launches one background process (`python -m sandbox serve`) that binds a free port per
emulator, seeds each from the shared world, and reports its addresses in a ready file; `start`
then writes `<home>/sandbox.env`, which every ledgerlink command reads. `SandboxOptions` pick
which emulators run and how their world differs from the default one; the ready file records
them. The folder is private to its owner: the ready file and sandbox.env hold client secrets.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import uvicorn

from sandbox.emulator import Emulator, SandboxContext
from sandbox.options import SandboxOptions

EMULATORS = {
    "freshbooks": "sandbox.freshbooks:FreshBooksEmulator",
    "infor": "sandbox.infor:InforEmulator",
    "shop": "sandbox.shop:ShopEmulator",
}
HOST = "127.0.0.1"


def emulator_class(name: str) -> type[Emulator]:
    module, _, attr = EMULATORS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def available_emulators() -> list[str]:
    names = []
    for name in EMULATORS:
        try:
            emulator_class(name)
        except (ImportError, AttributeError):
            continue
        names.append(name)
    return names


@dataclass
class SandboxPaths:
    home: Path

    @property
    def folder(self) -> Path:
        return self.home / "sandbox"

    @property
    def ready(self) -> Path:
        return self.folder / "ready.json"

    @property
    def pid(self) -> Path:
        return self.folder / "sandbox.pid"

    @property
    def log(self) -> Path:
        return self.folder / "sandbox.log"

    @property
    def env(self) -> Path:
        return self.home / "sandbox.env"


# --- inside the sandbox process ------------------------------------------------------------------
def serve(
    data_dir: Path, *, seed: int, scale: float, options: SandboxOptions, ready_file: Path
) -> None:
    """Run the emulators `options.systems` names until SIGTERM; write `ready_file` once all of
    them answer."""
    ctx = SandboxContext(data_dir=data_dir, seed=seed, scale=scale, options=options)
    emulators = [emulator_class(name)(ctx) for name in options.systems]
    servers, sockets = [], []
    for emulator in emulators:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this: without it, Nagle holds each response body until the
        # client's delayed ACK (~40 ms per keep-alive request on Linux).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((HOST, 0))
        emulator.base_url = f"http://{HOST}:{sock.getsockname()[1]}"
        emulator.ensure_loaded()
        config = uvicorn.Config(
            emulator.asgi_app(), log_level="warning", access_log=False, timeout_keep_alive=30
        )
        servers.append(uvicorn.Server(config))
        sockets.append(sock)

    async def run() -> None:
        tasks = [
            asyncio.create_task(s.serve(sockets=[sock]))
            for s, sock in zip(servers, sockets, strict=True)
        ]
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.05)
        environment: dict[str, str] = {}
        for emulator in emulators:
            environment.update(emulator.environment())
        ready = {
            "pid": os.getpid(),
            "seed": seed,
            "scale": scale,
            "profile": options.profile,
            "options": options.to_dict(),
            "urls": {e.name: e.base_url for e in emulators},
            "environment": environment,
        }
        _write_private(ready_file, json.dumps(ready))
        await asyncio.gather(*tasks)

    asyncio.run(run())


# --- from the command line ----------------------------------------------------------------------
class SandboxError(RuntimeError):
    pass


def start(
    home: Path,
    *,
    seed: int = 42,
    scale: float = 1.0,
    names: list[str] | None = None,
    options: SandboxOptions | None = None,
    timeout: float = 600.0,
) -> dict:
    """Start the sandbox in the background (or return the running one) and write sandbox.env.

    `options` make it a variant of the default world (see `sandbox.options`); `names`, when
    given, replaces their `systems`. Emulators that cannot be imported are left out.
    """
    paths = SandboxPaths(home.resolve())
    running = status(home)
    if running is not None:
        return running
    options = options or SandboxOptions()
    wanted = names or options.systems
    systems = tuple(name for name in available_emulators() if name in wanted)
    options = replace(options, systems=systems)
    paths.folder.mkdir(parents=True, exist_ok=True)
    paths.folder.chmod(0o700)
    paths.ready.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "sandbox", "serve",
        "--data-dir", str(paths.folder), "--seed", str(seed), "--scale", str(scale),
        "--ready-file", str(paths.ready), "--options", json.dumps(options.to_dict()),
    ]  # fmt: skip
    with open(paths.log, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
    # Known at once, so `sandbox down` can stop it even if this start is interrupted.
    paths.pid.write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    try:
        while not paths.ready.exists():
            if process.poll() is not None:
                raise SandboxError(
                    f"sandbox exited with code {process.returncode}; see {paths.log}"
                )
            if time.monotonic() > deadline:
                raise SandboxError(f"sandbox did not start within {timeout:.0f}s; see {paths.log}")
            time.sleep(0.1)
    except BaseException:  # a failed or interrupted start leaves nothing running
        stop(home)
        raise
    info = json.loads(paths.ready.read_text())
    _write_private(
        paths.env,
        "# written by `ledgerlink sandbox up`; removed by `ledgerlink sandbox down`\n"
        + "".join(f"{k}={v}\n" for k, v in sorted(info["environment"].items())),
    )
    return info


def _write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by its owner only from the first byte on."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    tmp.replace(path)


def status(home: Path) -> dict | None:
    """The running sandbox's ready info, or None when none answers."""
    paths = SandboxPaths(home.resolve())
    if not paths.ready.exists() or not paths.pid.exists():
        return None
    info = json.loads(paths.ready.read_text())
    try:
        os.kill(int(paths.pid.read_text()), 0)
        for url in info["urls"].values():
            httpx.get(f"{url}/_sandbox/health", timeout=2).raise_for_status()
    except (OSError, ValueError, httpx.HTTPError):
        return None
    return info


def stop(home: Path, timeout: float = 10.0) -> bool:
    """Stop the sandbox process and forget its settings; True when one was running."""
    paths = SandboxPaths(home.resolve())
    paths.env.unlink(missing_ok=True)
    paths.ready.unlink(missing_ok=True)
    if not paths.pid.exists():
        return False
    pid = int(paths.pid.read_text())
    paths.pid.unlink(missing_ok=True)
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _exited(pid):
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return True


def _exited(pid: int) -> bool:
    # When this process started the sandbox, the exited child stays a zombie (and `kill 0`
    # keeps succeeding) until it is reaped here.
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:
        pass  # not our child: its own parent reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
