"""`ledgerlink extract` as a user runs it: sources independent, failures named, exit codes."""

from __future__ import annotations

from typer.testing import CliRunner

from ledgerlink.cli import app
from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.settings import load_settings
from pipelines.extract import extract


def test_full_refresh_of_one_source_keeps_the_others_state(settings):
    authorize_headless(settings, FreshBooksTokenManager(settings))
    extract(settings, ["freshbooks", "shop"])
    [rebuilt] = extract(settings, ["freshbooks"], full_refresh=True)
    assert rebuilt.rows["invoices"] > 0  # everything again
    [shop] = extract(settings, ["shop"])
    assert shop.total_rows == 0  # its cursors survived


def test_the_command_prints_a_summary_and_fails_with_a_reason(settings, monkeypatch):
    monkeypatch.setenv("LEDGERLINK_HOME", str(settings.home))
    monkeypatch.setenv("SHOP_RATE_LIMIT", "500")
    runner = CliRunner()
    ok = runner.invoke(app, ["extract", "--source", "shop", "--quiet"])
    assert ok.exit_code == 0, ok.output
    assert "raw_shop" in ok.output and "orders" in ok.output

    monkeypatch.setenv("SHOP_API_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HTTP_MAX_ATTEMPTS", "2")
    failed = runner.invoke(app, ["extract", "--source", "shop", "--quiet"])
    assert failed.exit_code == 1
    assert "extract shop failed" in failed.output
    assert "Traceback" not in failed.output

    unknown = runner.invoke(app, ["extract", "--source", "nowhere"])
    assert unknown.exit_code == 1 and "unknown source" in unknown.output
    assert load_settings().home == settings.home
