"""`ledgerlink sandbox up --profile no-shop --latency-ms N`: which systems run, where their
settings go, what status shows, and every answer N ms late without holding up the others."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ledgerlink.cli.main import app as cli
from ledgerlink.settings import load_settings
from sandbox import runner

pytestmark = pytest.mark.integration

LATENCY_MS = 300


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("no-shop") / ".ledgerlink"
    env = {"LEDGERLINK_HOME": str(folder)}
    args = ["sandbox", "up", "--profile", "no-shop", "--scale", "0.1"]
    result = CliRunner().invoke(cli, [*args, "--latency-ms", str(LATENCY_MS)], env=env)
    try:
        assert result.exit_code == 0, result.output
        yield folder
    finally:
        runner.stop(folder)


def ready(home: Path) -> dict:
    return json.loads((home / "sandbox" / "ready.json").read_text())


def test_only_freshbooks_and_infor_run_and_sandbox_env_has_no_shop(home: Path) -> None:
    info = ready(home)
    assert set(info["urls"]) == {"freshbooks", "infor"}
    assert (info["profile"], info["options"]["systems"]) == ("no-shop", ["freshbooks", "infor"])
    env = (home / "sandbox.env").read_text()
    assert "FRESHBOOKS_API_URL=" in env and "INFOR_IONAPI_FILE=" in env
    assert "SHOP_" not in env
    settings = load_settings(ledgerlink_home=home)
    assert settings.systems == ("freshbooks", "infor")


def test_secrets_stay_with_their_owner(home: Path) -> None:
    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(home / "sandbox") == 0o700
    assert mode(home / "sandbox" / "ready.json") == 0o600
    assert mode(home / "sandbox.env") == 0o600
    assert "FRESHBOOKS_CLIENT_SECRET" in (home / "sandbox" / "ready.json").read_text()


def test_status_shows_the_profile_and_the_options_it_changes(home: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "status"], env={"LEDGERLINK_HOME": str(home)})
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert ["profile", "no-shop"] in lines
    assert ["systems", "freshbooks,infor"] in lines
    assert ["latency_ms", str(LATENCY_MS)] in lines
    assert not any(line and line[0] == "shop" for line in lines)


def test_bad_options_fail_with_a_one_line_reason(tmp_path: Path) -> None:
    env = {"LEDGERLINK_HOME": str(tmp_path / ".ledgerlink")}
    args = ["sandbox", "up", "--profile", "no-shop", "--empty", "freshbooks.estimates"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1
    assert "unknown entity 'freshbooks.estimates'" in result.output
    assert not (tmp_path / ".ledgerlink" / "sandbox").exists()


def test_every_request_waits_the_latency_without_blocking_the_others(home: Path) -> None:
    url = ready(home)["urls"]["freshbooks"]
    me = f"{url}/auth/api/v1/users/me"  # refused without a token: the answer is immediate
    with httpx.Client(timeout=30) as http:
        started = time.perf_counter()
        assert http.get(me).status_code == 401
        assert time.perf_counter() - started >= LATENCY_MS / 1000

        def one(_: int) -> float:
            began = time.perf_counter()
            assert http.get(me).status_code == 401
            return time.perf_counter() - began

        count = 6
        started = time.perf_counter()
        with ThreadPoolExecutor(count) as pool:
            each = list(pool.map(one, range(count)))
        together = time.perf_counter() - started
    assert min(each) >= LATENCY_MS / 1000
    # Served one after another they would take count x latency; asleep side by side, about one.
    assert together < count * LATENCY_MS / 1000 / 2
