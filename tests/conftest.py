"""Shared fixtures: one real sandbox process on loopback for the whole test session."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.dbt import DbtRun, run_dbt
from ledgerlink.ops_schema import ensure_ops_schema
from ledgerlink.settings import Settings, load_settings
from ledgerlink.warehouse import connect
from pipelines.extract import extract
from sandbox import runner
from sandbox.options import sandbox_options

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
# Browser tests drive Debian's Chromium (`make browser` installs it), never a downloaded one.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end modules first, then integration, then the rest (`make test` hands the files
    to its workers in this order): the long ones start at once and the quick ones fill in
    around them, instead of one long module running alone at the end."""

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("e2e") or item.path.parent.name == "e2e":
            return 0
        return 1 if item.path.parent.name == "integration" else 2

    items.sort(key=weight)  # stable: each module keeps its own order


@pytest.fixture(scope="session")
def sandbox_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ledgerlink-home")


@pytest.fixture(scope="session")
def sandbox(sandbox_home: Path) -> Iterator[dict]:
    """The running sandbox: `urls` per emulator and the `environment` it wrote to sandbox.env."""
    info = runner.start(sandbox_home, seed=42, scale=1.0)
    try:
        yield info
    finally:
        runner.stop(sandbox_home)


def start_variant(
    home: Path,
    profile: str = "default",
    *,
    seed: int = 42,
    scale: float = 0.1,
    **options: object,
) -> dict:
    """Start a sandbox variant in `home` and return its ready info (stop it with
    `runner.stop(home)`): the named profile, each given option overriding it (see
    `sandbox.options.SandboxOptions`); a small scale, as one module's tests need."""
    chosen = sandbox_options(profile, **options)
    return runner.start(home, seed=seed, scale=scale, options=chosen)


def settings_for_home(sandbox_home: Path, home: Path) -> Settings:
    """Settings that talk to the running sandbox, with `home` for tokens and the warehouse."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "sandbox.env").write_text((sandbox_home / "sandbox.env").read_text())
    return load_settings(
        ledgerlink_home=home,
        http_backoff_base_seconds=0.01,
        http_backoff_cap_seconds=0.2,
        http_max_total_wait_seconds=10,
        # Tests measure behaviour, not politeness: the emulators answer as fast as they can.
        freshbooks_rate_limit=500,
        infor_rate_limit=500,
        shop_rate_limit=500,
    )


def _isolate_environment(monkeypatch: pytest.MonkeyPatch, cwd: Path) -> None:
    monkeypatch.chdir(cwd)  # no stray .env from the checkout
    for key in list(os.environ):
        if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_")):
            monkeypatch.delenv(key)


@pytest.fixture
def settings(
    sandbox: dict, sandbox_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings pointing at the sandbox, with a fresh home (tokens, warehouse) per test."""
    _isolate_environment(monkeypatch, tmp_path)
    return settings_for_home(sandbox_home, tmp_path / ".ledgerlink")


@pytest.fixture(scope="module")
def module_settings(
    sandbox: dict, sandbox_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """Like `settings`, shared by the tests of one module (for expensive set-ups)."""
    folder = tmp_path_factory.mktemp("module-home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate_environment(monkeypatch, folder)
        yield settings_for_home(sandbox_home, folder / ".ledgerlink")


@dataclass(frozen=True)
class BuiltWorld:
    """The session sandbox's world extracted and built once, for modules to start from."""

    home: Path  # tokens, warehouse, dlt state and dbt artifacts, to copy
    run: DbtRun  # the whole `dbt build`, tests included
    snapshot: str = "built"  # the emulators' data at that moment


@pytest.fixture(scope="session")
def built_world(
    sandbox: dict, sandbox_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> BuiltWorld:
    """The seeded world, authorized, extracted and built with every dbt test once per session;
    a module that starts there calls `start_from_built` instead of doing it all again.

    Under xdist the workers' sandboxes hold the same seeded world, so the first worker to need
    it builds it and leaves a copy (its home, the build's results and its emulators' snapshot
    files) in the run's shared temporary folder; the others load those snapshot files into
    their own emulators and start from that copy."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _build_world(sandbox, sandbox_home, tmp_path_factory)
    shared = tmp_path_factory.getbasetemp().parent / "built-world"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker builds while the others wait for it
        if (shared / RUN_FILE).exists():
            return _adopt_world(shared, sandbox, sandbox_home)
        world = _build_world(sandbox, sandbox_home, tmp_path_factory)
        _share_world(world, shared, sandbox_home)
        return world


RUN_FILE = "run.pickle"  # written last: the shared copy is whole once it is there


def _build_world(
    sandbox: dict, sandbox_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> BuiltWorld:
    for url in sandbox["urls"].values():
        reset_emulator(url)
    folder = tmp_path_factory.mktemp("built-world")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate_environment(monkeypatch, folder)
        settings = settings_for_home(sandbox_home, folder / ".ledgerlink")
        authorize_headless(settings, FreshBooksTokenManager(settings))
        extract(settings)
        with connect(settings, read_only=False) as con:
            ensure_ops_schema(con)
        run = run_dbt(settings, "build", check=False)
    world = BuiltWorld(settings.home, run)
    for url in sandbox["urls"].values():
        httpx.post(f"{url}/_sandbox/snapshots/{world.snapshot}", timeout=60).raise_for_status()
    return world


def _snapshot_files(sandbox_home: Path, world: BuiltWorld) -> Path:
    """Where the session sandbox's emulators keep the built world's snapshot files."""
    return runner.SandboxPaths(sandbox_home).folder / "snapshots" / world.snapshot


def _share_world(world: BuiltWorld, shared: Path, sandbox_home: Path) -> None:
    shutil.copytree(world.home, shared / "home")
    shutil.copytree(_snapshot_files(sandbox_home, world), shared / "snapshots")
    partial = shared / f"{RUN_FILE}.partial"
    partial.write_bytes(pickle.dumps(world.run))
    partial.replace(shared / RUN_FILE)


def _adopt_world(shared: Path, sandbox: dict, sandbox_home: Path) -> BuiltWorld:
    """The world another worker built: its emulators' data (tokens included) becomes this
    sandbox's snapshot, and its home is the one modules copy."""
    world = BuiltWorld(shared / "home", pickle.loads((shared / RUN_FILE).read_bytes()))
    shutil.copytree(shared / "snapshots", _snapshot_files(sandbox_home, world), dirs_exist_ok=True)
    for url in sandbox["urls"].values():  # as the building worker's emulators were then
        restore = f"{url}/_sandbox/snapshots/{world.snapshot}/restore"
        httpx.post(restore, timeout=60).raise_for_status()
    return world


def start_from_built(world: BuiltWorld, sandbox: dict, settings: Settings) -> None:
    """The emulators back to the built world's data (no faults), and `settings.home` a copy of
    its home: as if this module had authorized, extracted and built it."""
    for url in sandbox["urls"].values():
        restore = f"{url}/_sandbox/snapshots/{world.snapshot}/restore"
        httpx.post(restore, timeout=60).raise_for_status()
    for item in world.home.iterdir():
        if item.name == "sandbox.env":  # the module's own, written with its settings
            continue
        if item.is_dir():
            shutil.copytree(item, settings.home / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, settings.home / item.name)


def reset_emulator(url: str) -> None:
    """Back to the seeded data with no faults (call in a test that mutates or injects faults)."""
    httpx.post(f"{url}/_sandbox/reset", timeout=120).raise_for_status()


def inject_faults(url: str, *rules: dict, rate_limit_per_second: float | None = None) -> None:
    body: dict = {"rules": list(rules)}
    if rate_limit_per_second is not None:
        body["rate_limit_per_second"] = rate_limit_per_second
    httpx.post(f"{url}/_sandbox/faults", json=body, timeout=10).raise_for_status()


def clear_faults(url: str) -> None:
    httpx.delete(f"{url}/_sandbox/faults", timeout=10).raise_for_status()


@contextmanager
def chromium(profile: Path) -> Iterator:
    """A headless Chromium browser context with its profile in `profile` (the test is skipped
    where Debian's chromium is missing)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is missing and apt could not install it (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@contextmanager
def serving_in_thread(server: uvicorn.Server, sock: socket.socket, name: str) -> Iterator[None]:
    """Run `server` on the bound `sock` in a thread until the block ends."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, f"{name} did not start"
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
