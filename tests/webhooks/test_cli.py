"""`ledgerlink webhooks serve|register|status` as an operator runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.settings import Settings
from ledgerlink.webhooks.server import bind

SERVE = "from ledgerlink.cli import app; app(['webhooks', 'serve', '--port', '0'])"


def env_for(home: Path) -> dict[str, str]:
    return {"LEDGERLINK_HOME": str(home)}


def test_serve_prints_its_url_answers_and_stops_on_interrupt(settings: Settings):
    env = {**os.environ, **env_for(settings.home)}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().decode()
        assert first.startswith("listening on http://127.0.0.1:"), first
        url = first.split()[2]
        health = httpx.get(f"{url}/healthz", timeout=10).json()
        assert health == {"status": "ok"}
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert b"Traceback" not in stderr, stderr.decode()
    assert settings.inbox_path.exists()


def test_serve_on_a_busy_port_fails_with_one_line(settings: Settings):
    taken = bind("127.0.0.1", 0)
    taken.listen()
    try:
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(
            cli, ["webhooks", "serve", "--port", port], env=env_for(settings.home)
        )
    finally:
        taken.close()
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert len(result.output.strip().splitlines()) == 1


def test_register_needs_a_url(settings: Settings):
    env: dict[str, str | None] = {**env_for(settings.home), "WEBHOOKS_PUBLIC_URL": None}
    result = CliRunner().invoke(cli, ["webhooks", "register"], env=env)
    assert result.exit_code == 1 and "WEBHOOKS_PUBLIC_URL" in result.output


def test_status_of_an_empty_inbox(settings: Settings):
    result = CliRunner().invoke(cli, ["webhooks", "status"], env=env_for(settings.home))
    assert result.exit_code == 0, result.output
    assert "0 received, 0 pending" in result.output and "0 trusted, 0 pending" in result.output


def test_register_subscribes_only_what_is_connected(settings: Settings):
    """No shop: FreshBooks only, and no subscription for an entity that is switched off."""
    authorize_headless(settings, FreshBooksTokenManager(settings))
    env = {
        **env_for(settings.home),
        "LEDGERLINK_SYSTEMS": "freshbooks,infor",
        "LEDGERLINK_DISABLED_ENTITIES": "freshbooks.expenses",
    }
    url = "http://127.0.0.1:9/no-shop"
    result = CliRunner().invoke(cli, ["webhooks", "register", "--url", url], env=env)
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()[2:]]
    assert {row[0] for row in rows} == {"freshbooks"}
    assert {row[1] for row in rows} == {"client", "invoice", "payment"}

    asked = CliRunner().invoke(cli, ["webhooks", "register", "--url", url, "--shop"], env=env)
    assert asked.exit_code == 1 and "the shop is not connected" in asked.output
