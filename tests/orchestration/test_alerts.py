"""Alert sensors post to a real HTTP sink on loopback, once per failure, never leaking the URL.

Runs, checks and materializations are real: tiny assets executed in process against a temporary
Dagster instance, then the sensors evaluated against that instance as the daemon would.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    MaterializeResult,
    SensorDefinition,
    SensorResult,
    asset,
    asset_check,
    build_run_status_sensor_context,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from ledgerlink.log import JsonFormatter
from ledgerlink.settings import Settings, load_settings
from orchestration.alerts import ALERT_SENSORS, alert_sensors, send_alert

UI_URL = "http://dagster.example:3000"
HOOK_TOKEN = "T0000/B0000/hook-secret-4f9a2c"


class Sink:
    """A webhook receiver on loopback that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.messages.append({"path": self.path, **json.loads(body)})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/{HOOK_TOKEN}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def alerts(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages if kind is None or m["alert"]["kind"] == kind]


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No stray `.env` or sandbox.env from the checkout decides where alerts go."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGERLINK_HOME", str(tmp_path / ".ledgerlink"))
    monkeypatch.setenv("DAGSTER_UI_URL", UI_URL)
    monkeypatch.delenv("ALERT_WEBHOOK_URL", raising=False)
    return tmp_path


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as temp_instance:
        yield temp_instance


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """Every log record, ours and httpx's, even if `configure_logging` detached ours earlier."""
    monkeypatch.setattr(logging.getLogger("ledgerlink"), "propagate", True)
    caplog.set_level(logging.DEBUG)
    return caplog


def sensors_for(url: str) -> dict[str, SensorDefinition]:
    def settings() -> Settings:
        return load_settings(alert_webhook_url=url, dagster_ui_url=UI_URL)

    return {s.name: s for s in alert_sensors(settings)}


def evaluate(
    sensor_def: SensorDefinition, instance: DagsterInstance, cursor: str | None
) -> SensorResult:
    result = sensor_def(build_sensor_context(instance=instance, cursor=cursor))
    assert isinstance(result, SensorResult)
    return result


def assert_no_secret_in(logs: pytest.LogCaptureFixture, url: str) -> None:
    formatter = JsonFormatter()
    for record in logs.records:
        line = formatter.format(record)
        assert url not in line and HOOK_TOKEN not in line, line
        assert url not in record.getMessage()


def test_run_failure_alert_carries_the_error_and_the_run_link(
    sink: Sink, home: Path, instance: DagsterInstance, logs, monkeypatch: pytest.MonkeyPatch
):
    @asset
    def ledger_balances() -> None:
        raise ValueError("ledger exploded: 42 journals out of balance")

    result = materialize([ledger_balances], instance=instance, raise_on_error=False)
    assert not result.success
    run_id = result.run_id

    # The module-level sensors read settings at evaluation time: the env var is enough.
    monkeypatch.setenv("ALERT_WEBHOOK_URL", sink.url)
    run_failure = next(s for s in ALERT_SENSORS if s.name == "alert_on_run_failure")
    run_failure(
        build_run_status_sensor_context(
            sensor_name=run_failure.name,
            dagster_event=result.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        )
    )

    [message] = sink.alerts()
    alert = message["alert"]
    assert message["path"] == f"/services/{HOOK_TOKEN}"
    assert alert["kind"] == "run_failure"
    assert "ledger exploded: 42 journals out of balance" in alert["reason"]
    assert "step ledger_balances" in alert["reason"]
    assert alert["run_id"] == run_id
    assert alert["run_url"] == f"{UI_URL}/runs/{run_id}"
    assert f"/runs/{run_id}" in message["text"]
    assert message["text"].startswith("[ledgerlink run_failure]")

    [line] = [r for r in logs.records if r.getMessage() == "alert"]
    assert line.alert_kind == "run_failure" and line.run_url == alert["run_url"]
    assert "ledger exploded" in line.reason
    assert_no_secret_in(logs, sink.url)


@asset(key=["core", "invoices"])
def invoices() -> None:
    pass


@asset_check(asset=invoices, name="invoices_unique_ids")
def invoices_unique_ids() -> AssetCheckResult:
    return AssetCheckResult(
        passed=False,
        severity=AssetCheckSeverity.ERROR,
        description="Got 3 results, configured to fail if != 0",
        metadata={"dagster_dbt/failed_row_count": 3, "status": "fail"},
    )


@asset_check(asset=invoices, name="invoice_amount_outliers")
def invoice_amount_outliers() -> AssetCheckResult:
    return AssetCheckResult(
        passed=False,
        severity=AssetCheckSeverity.WARN,
        metadata={"dagster_dbt/failed_row_count": 1, "status": "warn"},
    )


@asset_check(asset=invoices, name="invoices_not_null")
def invoices_not_null() -> AssetCheckResult:
    return AssetCheckResult(passed=True)


def test_failed_checks_alert_once_by_severity(sink: Sink, home: Path, instance: DagsterInstance):
    sensors = sensors_for(sink.url)
    errors, anomalies = sensors["alert_on_check_failure"], sensors["alert_on_anomaly"]
    before = evaluate(errors, instance, None)  # the daemon's first tick, before any run
    assert sink.alerts() == []

    result = materialize(
        [invoices, invoices_unique_ids, invoice_amount_outliers, invoices_not_null],
        instance=instance,
    )
    assert result.success  # a failed non-blocking check does not fail the run
    run_id = result.run_id

    errors_after = evaluate(errors, instance, before.cursor)
    # No cursor yet: the anomaly sensor's first tick still sees a failure from minutes ago.
    anomalies_after = evaluate(anomalies, instance, None)

    [failure] = sink.alerts("check_failure")
    assert failure["alert"]["check"] == "invoices_unique_ids"
    assert failure["alert"]["asset"] == "core/invoices"
    assert failure["alert"]["severity"] == "ERROR"
    assert failure["alert"]["failed_rows"] == 3
    assert "failing rows: 3" in failure["alert"]["reason"]
    assert "configured to fail if != 0" in failure["alert"]["reason"]
    assert failure["alert"]["run_url"] == f"{UI_URL}/runs/{run_id}"

    [anomaly] = sink.alerts("anomaly")
    assert anomaly["alert"]["check"] == "invoice_amount_outliers"
    assert anomaly["alert"]["severity"] == "WARN"
    assert "failing rows: 1" in anomaly["alert"]["reason"]
    assert f"/runs/{run_id}" in anomaly["text"]
    assert len(sink.alerts()) == 2  # the passing check says nothing

    again = [
        evaluate(errors, instance, errors_after.cursor),
        evaluate(anomalies, instance, anomalies_after.cursor),
    ]
    assert len(sink.alerts()) == 2
    assert all(r.skip_reason is not None for r in again)


def push_asset(dead_letters_open: int):
    """The shape of a reverse-ETL push asset: counts of the run, open dead letters after it."""

    @asset(key=AssetKey(["push", "infor_gl_journals"]), group_name="push")
    def push_infor_gl_journals() -> MaterializeResult:
        return MaterializeResult(
            metadata={
                "created": 5,
                "updated": 0,
                "unchanged": 10,
                "failed": 0,
                "dead_lettered": dead_letters_open,
                "dead_letters_open": dead_letters_open,
            }
        )

    return push_infor_gl_journals


def test_dead_letter_growth_alerts_once_per_rise(sink: Sink, home: Path, instance: DagsterInstance):
    growth = sensors_for(sink.url)["alert_on_dead_letter_growth"]

    materialize([push_asset(0)], instance=instance)
    first = evaluate(growth, instance, None)
    assert sink.alerts() == []
    assert json.loads(first.cursor)["push/infor_gl_journals"]["open"] == 0

    run_id = materialize([push_asset(2)], instance=instance).run_id
    second = evaluate(growth, instance, first.cursor)
    [message] = sink.alerts()
    alert = message["alert"]
    assert alert["kind"] == "dead_letter_growth"
    assert alert["sync"] == "infor_gl_journals"
    assert (alert["previous_dead_letters_open"], alert["dead_letters_open"]) == (0, 2)
    assert "infor_gl_journals" in message["text"] and "0 → 2" in message["text"]
    assert "rose from 0 to 2" in alert["reason"]
    assert alert["run_url"] == f"{UI_URL}/runs/{run_id}"

    third = evaluate(growth, instance, second.cursor)  # nothing new materialized
    assert len(sink.alerts()) == 1
    assert third.skip_reason is not None

    materialize([push_asset(1)], instance=instance)  # shrinking is good news, not an alert
    evaluate(growth, instance, third.cursor)
    assert len(sink.alerts()) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_dead_sink_never_fails_the_sensor_or_leaks_the_url(
    home: Path, instance: DagsterInstance, logs
):
    url = f"http://127.0.0.1:{free_port()}/services/{HOOK_TOKEN}"  # nothing listens there
    errors = sensors_for(url)["alert_on_check_failure"]
    materialize([invoices, invoices_unique_ids], instance=instance)

    result = evaluate(errors, instance, None)

    assert json.loads(result.cursor)["after_storage_id"] > 0  # moved on despite the sink
    [line] = [r for r in logs.records if r.getMessage() == "alert"]
    assert line.levelno == logging.ERROR
    assert line.alert_kind == "check_failure" and line.check == "invoices_unique_ids"
    assert "failing rows: 3" in line.reason
    [warning] = [r for r in logs.records if r.getMessage() == "alert sink failed"]
    assert warning.levelno == logging.WARNING and "ConnectError" in warning.error
    assert_no_secret_in(logs, url)


def test_without_a_webhook_the_alert_is_only_logged(home: Path, logs):
    settings = load_settings()
    assert settings.alert_webhook_url.get_secret_value() == ""
    delivered = send_alert(
        settings, "anomaly", "drift on expenses", "3 categories unmapped", run_id="abc123"
    )
    assert delivered
    [line] = [r for r in logs.records if r.getMessage() == "alert"]
    assert line.alert_kind == "anomaly" and line.run_url == f"{UI_URL}/runs/abc123"
    assert not [r for r in logs.records if r.getMessage() == "alert sink failed"]
