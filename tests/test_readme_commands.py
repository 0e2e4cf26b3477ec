"""Every command in README's bash blocks runs as written in a shell where `source
.venv/bin/activate` put `.venv/bin` on PATH: in a temporary home, in README's order, on the
sandbox README's own `ledgerlink sandbox up` starts.

The shell's environment holds what a user's may: the sandbox's APIs answered as fast as they
can (the request rates `ledgerlink demo` uses), not at the real APIs' default limits. The
commands are the same; they wait less.

README shows a command's options in brackets and alternatives as `a|b`. A line runs without its
optional parts, or with the ones CHOSEN picks for a test; each alternative runs as its own
command. What a test cannot run is in SKIPPED with the reason, or starts with `docker` (a
deployment's commands, run by a Docker engine); every other command must exit 0.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import runner

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

PROJECT = Path(__file__).resolve().parents[1]
README = PROJECT / "README.md"
VENV_BIN = Path(sys.executable).parent

# The options this test gives a command, from those README shows in brackets.
CHOSEN = {
    "ledgerlink sandbox up": "--scale 0.1",  # a small world: the pushes take seconds
    "ledgerlink auth freshbooks": "--headless",  # the sandbox approves without a browser
    "ledgerlink sync": "--dry-run",  # extract, build and plan: one pass, nothing written
    "ledgerlink console": "--print-token",  # prints the login token; the pages have own tests
    "ledgerlink webhooks serve": "--port {port}",
    "ledgerlink webhooks register": "--url http://127.0.0.1:{port}",
}
SKIPPED = {
    "make demo": "minutes on the sandbox; tests/e2e/test_demo.py runs the demo's service",
    "ledgerlink demo": "minutes on the sandbox; tests/e2e/test_demo.py runs the demo's service",
    "make test": "the whole suite, this test among it",
    "make test-fast": "the unit tests, which the suite runs anyway",
    "make bench": "benchmarks that run for minutes and only print figures",
    "make format": "rewrites the project's files (`make lint` checks the same rules)",
    "ledgerlink dlq show ID": "needs an open dead letter: tests/e2e/test_demo.py shows the demo's",
    "ledgerlink dlq replay ID": "needs an open dead letter: tests/e2e/test_demo.py replays the "
    "demo's",
    "ledgerlink dlq discard ID": "needs an open dead letter, as `dlq replay` does",
    "ledgerlink review show ID": "needs a held record: tests/e2e/test_review_on_sandbox.py "
    "shows, approves and pushes the sandbox's planted outlier",
    "ledgerlink review approve ID": "needs a held record, as `review show` does",
    "ledgerlink review reject ID": "needs a held record, as `review show` does",
}
# The deployment's commands need a Docker engine; tests/deploy checks the files they read.
NEEDS_DOCKER = re.compile(r"^docker ")
# Servers run in the background until the test ends; the commands after them use them.
SERVERS = {"ledgerlink webhooks serve"}
# The request rates of `ledgerlink demo`: the sandbox need not be held to the real APIs' limits.
FAST = {"FRESHBOOKS_RATE_LIMIT": "500", "INFOR_RATE_LIMIT": "500", "SHOP_RATE_LIMIT": "500"}
# Commands that only make sense in the project folder (the rest run in the temporary home).
IN_PROJECT = re.compile(r"^make ")


def readme_commands() -> list[str]:
    """The command lines of README's bash blocks, without comments, each alternative apart."""
    text = README.read_text()
    lines = [
        line.split("#", 1)[0].strip()
        for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
        for line in block.splitlines()
    ]
    return [command for line in lines if line for command in alternatives(line)]


def alternatives(line: str) -> list[str]:
    """`ledgerlink dlq list|show ID` -> `ledgerlink dlq list`, `ledgerlink dlq show ID`: the
    words before the first `|` are shared (alternatives in brackets are options, kept as they
    are)."""
    outside = re.sub(r"\[[^\]]*\]", lambda m: "_" * len(m.group()), line)
    if "|" not in outside:
        return [line]
    head, _, first = line[: outside.index("|")].rpartition(" ")
    rest = line[outside.index("|") + 1 :].split("|")
    return [f"{head} {choice}".strip() for choice in [first, *rest]]


def bare(command: str) -> str:
    return " ".join(re.sub(r"\[[^\]]*\]", " ", command).split())


def concrete(command: str, port: int) -> str:
    """The command without its bracketed options, plus the ones CHOSEN for it."""
    chosen = CHOSEN.get(bare(command), "").format(port=port)
    return f"{bare(command)} {chosen}".strip()


COMMANDS = readme_commands()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """An activated shell's environment in a temporary folder, and the servers it starts."""
    folder = tmp_path_factory.mktemp("readme")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_", "DAGSTER_"))
    }
    env |= FAST
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{os.defpath}"
    env["VIRTUAL_ENV"] = str(VENV_BIN.parent)
    state = {"folder": folder, "env": env, "port": free_port(), "servers": []}
    try:
        yield state
    finally:
        for server in state["servers"]:
            server.terminate()
            server.wait(10)
        runner.stop(folder / ".ledgerlink")


def test_skips_and_choices_name_commands_readme_has() -> None:
    commands = {bare(command) for command in readme_commands()}
    assert "ledgerlink sandbox up" in commands
    assert set(SKIPPED) <= commands, set(SKIPPED) - commands
    assert set(CHOSEN) <= commands, set(CHOSEN) - commands


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs_as_written(command: str, shell: dict) -> None:
    if bare(command) in SKIPPED:
        pytest.skip(SKIPPED[bare(command)])
    if NEEDS_DOCKER.match(command):
        pytest.skip("needs a Docker engine: tests/deploy/test_deployment_files.py checks its files")
    line = concrete(command, shell["port"])
    cwd = PROJECT if IN_PROJECT.match(line) else shell["folder"]
    if bare(command) in SERVERS:
        log = shell["folder"] / f"server-{len(shell['servers'])}.log"
        with open(log, "w") as output:
            server = subprocess.Popen(
                shlex.split(line), cwd=cwd, env=shell["env"], stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        shell["servers"].append(server)
        deadline = time.monotonic() + 60
        while not _listening(shell["port"]):
            assert server.poll() is None, f"`{line}` exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"`{line}` did not listen within 60 s"
            time.sleep(0.2)
        return
    done = subprocess.run(
        line, shell=True, executable="/bin/bash", cwd=cwd, env=shell["env"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, (
        f"`{line}` exited {done.returncode}:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
    )


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
