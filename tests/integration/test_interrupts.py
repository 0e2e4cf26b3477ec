"""Ctrl-C and SIGTERM stop a long command within seconds, in one line, with exit code 130.

The commands run as an operator runs them: the `ledgerlink` executable in its own process,
against a sandbox whose APIs answer slowly enough that there is always work in flight.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from conftest import settings_for_home, start_variant
from typer.testing import CliRunner

from ledgerlink.cli.common import INTERRUPTED_EXIT_CODE, Terminated, run_guarded, so_far
from ledgerlink.settings import Settings
from sandbox import runner

LEDGERLINK = Path(sys.executable).with_name("ledgerlink")
STOPS_WITHIN_SECONDS = 5.0
SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


def as_in_a_terminal() -> None:
    """Ctrl-C as a terminal delivers it: a test runner's worker may ignore SIGINT, and a child
    inherits that (as a background job in a shell does)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Running:
    """A `ledgerlink` process whose output is read as it comes (so it never blocks on a pipe)."""

    def __init__(self, args: list[str], home: Path) -> None:
        env = {**os.environ, "LEDGERLINK_HOME": str(home), "INFOR_RATE_LIMIT": "500"}
        self.process = subprocess.Popen(
            [str(LEDGERLINK), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=as_in_a_terminal,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        streams = ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in streams
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for raw in iter(stream.readline, b""):
            lines.append(raw.decode().rstrip("\n"))

    def wait_for_output(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not (self.stdout or self.stderr):
            assert self.process.poll() is None, f"ended early: {self.stderr}"
            assert time.monotonic() < deadline, "no output"
            time.sleep(0.05)

    def stop(self, signum: int) -> tuple[int, float]:
        """Send `signum`; the exit code and the seconds it took to end."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        seconds = time.monotonic() - sent
        for reader in self._readers:
            reader.join(5)
        return code, seconds


def assert_one_interrupted_line(running: Running, command: str, signum: int) -> str:
    text = "\n".join(running.stderr)
    assert "Traceback" not in text, text
    lines = [line for line in running.stderr if line.startswith("interrupted:")]
    assert len(lines) == 1, text
    assert lines[0].startswith(f"interrupted: {command} stopped ({SIGNALS[signum]})"), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def slow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A sandbox whose every answer takes 100 ms: an extract is always mid-way."""
    home = tmp_path_factory.mktemp("slow-sandbox")
    start_variant(home, latency_ms=100, scale=0.2)
    try:
        yield home
    finally:
        runner.stop(home)


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_extract_stops_says_what_it_loaded_and_the_next_run_finishes(
    slow_home: Path, tmp_path: Path, signum: int
):
    settings = settings_for_home(slow_home, tmp_path / ".ledgerlink")
    running = Running(["extract", "--source", "infor"], settings.home)
    running.wait_for_output()  # dlt's first progress line: requests are in flight
    code, seconds = running.stop(signum)
    assert code == INTERRUPTED_EXIT_CODE and seconds < STOPS_WITHIN_SECONDS, (
        code,
        seconds,
        running.stdout,
        running.stderr,
    )
    line = assert_one_interrupted_line(running, "ledgerlink extract", signum)
    assert "nothing loaded; not finished: infor; `ledgerlink extract` resumes" in line

    again = Running(["extract", "--source", "infor", "--quiet"], settings.home)
    assert again.process.wait(timeout=300) == 0, again.stderr


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_the_webhook_receiver_stops_with_its_counts(settings: Settings, signum: int):
    running = Running(["webhooks", "serve", "--port", "0"], settings.home)
    running.wait_for_output()  # "listening on ..."
    code, seconds = running.stop(signum)
    assert code == INTERRUPTED_EXIT_CODE and seconds < STOPS_WITHIN_SECONDS, (code, seconds)
    line = assert_one_interrupted_line(running, "ledgerlink webhooks serve", signum)
    assert "freshbooks 0 accepted, 0 duplicate, 0 rejected" in line


def test_the_line_says_what_the_command_reported_doing():
    app = typer.Typer()

    @app.command()
    @run_guarded
    def load() -> None:
        so_far("loaded freshbooks (12 rows)", "not finished: infor")
        raise Terminated

    result = CliRunner().invoke(app, [])
    assert result.exit_code == INTERRUPTED_EXIT_CODE
    assert result.stderr.strip() == (
        "interrupted: ledgerlink load stopped (SIGTERM); loaded freshbooks (12 rows); "
        "not finished: infor"
    )


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_stop_that_lands_in_a_finalizer_still_stops(signum: int):
    """Python drops an exception a finalizer raises: the stop must come again, not vanish."""
    # Ctrl-C as in a terminal: a test runner's worker may ignore it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    reached: list[str] = []

    class StoppedWhileCollected:
        def __del__(self) -> None:
            signal.raise_signal(signum)  # handled inside the finalizer, as a collection's may be

    app = typer.Typer()

    @app.command()
    @run_guarded
    def load() -> None:
        StoppedWhileCollected()
        for _ in range(1000):  # the stop is handled at the next instruction that runs here
            time.sleep(0.001)
        reached.append("the end")

    try:
        result = CliRunner().invoke(app, [])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.exit_code == INTERRUPTED_EXIT_CODE, result.output
    assert not reached
    assert result.stderr.startswith(f"interrupted: ledgerlink load stopped ({SIGNALS[signum]})")
    assert "Exception ignored" not in result.stderr


STUCK = textwrap.dedent(
    """
    import threading, time
    from ledgerlink.cli.common import run_guarded
    from ledgerlink.cli.main import LedgerlinkApp

    app = LedgerlinkApp()

    @app.command()
    @run_guarded
    def stuck() -> None:
        # A library's worker thread waiting on the network, which Python waits for at exit.
        threading.Thread(target=time.sleep, args=(600,)).start()
        raise KeyboardInterrupt

    app()
    """
)


def test_a_thread_left_waiting_does_not_keep_the_process_alive():
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", STUCK], capture_output=True, timeout=120)
    assert done.returncode == INTERRUPTED_EXIT_CODE, done.stderr
    assert b"interrupted: ledgerlink stuck stopped (Ctrl-C)" in done.stderr
    assert time.monotonic() - started < 60  # not the thread's 600 s
