"""A push that stops on an error before writing anything is recorded as failed, with the
reason, in `ops.sync_runs` and `ledgerlink status` (it used to show `succeeded 0 0 0`)."""

from __future__ import annotations

import json
import os

import pytest
from synthetic_syncs import client, customer, ledger_rows, unpaced, write_plan
from typer.testing import CliRunner

from ledgerlink.cli import app as cli
from ledgerlink.settings import Settings, load_settings


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """A home with no Infor settings and no sandbox: nothing can be written anywhere."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_")):
            monkeypatch.delenv(key)
    (tmp_path / ".ledgerlink").mkdir()
    return load_settings(ledgerlink_home=tmp_path / ".ledgerlink")


def ledgerlink(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"LEDGERLINK_HOME": str(settings.home)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("sync", "reason"),
    [
        ("infor_customers", "INFOR_IONAPI_FILE is not set"),
        ("freshbooks_clients", "sync model sync_freshbooks__clients is not built"),
    ],
)
def test_a_push_stopped_by_an_error_is_a_failed_run_with_the_reason(
    settings: Settings, sync: str, reason: str
):
    write_plan(settings, unpaced("infor_customers"), [customer("FB900001", "Ada Lovelace")])

    code, output = ledgerlink(settings, "push", "--select", sync)

    assert code == 1
    assert output.strip().startswith(f"error: {reason}")
    [(status, error, created)] = ledger_rows(
        settings, "select status, error, created from ops.sync_runs"
    )
    assert (status, created) == ("failed", 0)
    assert error.startswith(reason)

    code, shown = ledgerlink(settings, "status")
    assert code == 0
    assert "failed" in shown and reason in shown
    assert "succeeded" not in shown


def test_a_dry_run_reports_its_plan_as_json_for_scripts(settings: Settings):
    write_plan(settings, unpaced("freshbooks_clients"), [client("ada@example.com", "Ada Lovelace")])

    code, output = ledgerlink(
        settings, "push", "--select", "freshbooks_clients", "--dry-run", "--json"
    )

    assert code == 0, output
    report = json.loads(output)
    assert report["dry_run"] is True and report["ok"] is True and report["held"] == {}
    [sync] = report["syncs"]
    assert sync["sync"] == "freshbooks_clients" and sync["create"] == 1
    assert sync["samples"][0]["natural_key"] == "ada@example.com"
