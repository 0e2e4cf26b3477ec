"""An entity the account cannot serve is skipped with the API's reason; the rest still loads.

The refusals are planted with the emulators' fault controls (a status on a path, or a scripted
M3 error), on real servers, into a real DuckDB file.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import httpx
import pytest
from conftest import clear_faults, inject_faults, reset_emulator
from typer.testing import CliRunner

from ledgerlink.cli import app
from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.settings import Settings
from pipelines.entities import ENTITIES
from pipelines.extract import ExtractFailed, extract

FRESHBOOKS_KEPT = ("expense_categories", "taxes", "credit_notes")
INFOR_KEPT = (
    "customers",
    "customer_orders",
    "customer_order_lines",
    "delivery_lines",
    "deliveries",
    "customer_invoices",
    "chart_of_accounts",
)


def only(settings: Settings, system: str, kept: tuple[str, ...]) -> Settings:
    """`settings` loading `system` alone, with only the `kept` entities on (a short run)."""
    off = [f"{system}.{name}" for name in ENTITIES[system] if name not in kept]
    return settings.model_copy(update={"disabled_entities_setting": ",".join(off)})


def count(settings: Settings, table: str) -> int:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def has_table(settings: Settings, schema: str, table: str) -> bool:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return bool(
            con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchone()[0]
        )


@pytest.fixture
def fb_url(sandbox: dict) -> Iterator[str]:
    url = sandbox["urls"]["freshbooks"]
    yield url
    clear_faults(url)


@pytest.fixture
def infor_url(sandbox: dict) -> Iterator[str]:
    url = sandbox["urls"]["infor"]
    reset_emulator(url)
    yield url
    reset_emulator(url)


@pytest.fixture
def freshbooks(settings: Settings, fb_url: str) -> Settings:
    authorize_headless(settings, FreshBooksTokenManager(settings))
    return only(settings, "freshbooks", FRESHBOOKS_KEPT)


def m3_counts(url: str) -> dict[str, int]:
    return httpx.get(f"{url}/_sandbox/infor/counts", timeout=10).json()


@pytest.mark.parametrize("status", [403, 404])
def test_a_freshbooks_list_refused_is_skipped_and_read_again_next_run(freshbooks, fb_url, status):
    inject_faults(fb_url, {"kind": "status", "status": status, "rate": 1.0, "path": "credit_notes"})
    [first] = extract(freshbooks, ["freshbooks"])
    assert set(first.skipped) == {"credit_notes"}
    reason = first.skipped["credit_notes"]
    assert f"HTTP {status}" in reason and "list credit_notes page 1" in reason
    assert first.partial
    assert first.rows["taxes"] > 0 and first.rows["expense_categories"] > 0
    assert not has_table(freshbooks, "raw_freshbooks", "credit_notes")

    clear_faults(fb_url)
    [second] = extract(freshbooks, ["freshbooks"])
    assert not second.skipped
    served = httpx.get(f"{fb_url}/_sandbox/freshbooks/counts", timeout=10).json()
    # its cursor never moved: the whole list now, and nothing again of the others
    assert second.rows["credit_notes"] == served["credit_notes"]["total"] > 0
    assert count(freshbooks, "raw_freshbooks.credit_notes") == served["credit_notes"]["total"]


def test_a_refused_identity_fails_the_source_instead(freshbooks, fb_url):
    inject_faults(fb_url, {"kind": "status", "status": 403, "rate": 1.0, "path": "users/me"})
    with pytest.raises(ExtractFailed, match=r"^extract freshbooks failed: .*HTTP 403"):
        extract(freshbooks, ["freshbooks"])


def test_an_m3_transaction_answering_501_is_skipped_with_m3s_reason(settings, infor_url):
    config = only(settings, "infor", INFOR_KEPT)
    inject_faults(infor_url, {"kind": "status", "status": 501, "rate": 1.0, "path": "LstInvHead"})
    [first] = extract(config, ["infor"])
    assert first.skipped == {
        "customer_invoices": "OIS350MI/LstInvHead: Not Implemented [HTTP 501]",
    }
    assert first.rows["customers"] > 0 and first.rows["customer_orders"] > 0
    assert "customer_invoices" not in first.rows

    clear_faults(infor_url)
    [second] = extract(config, ["infor"])
    assert not second.skipped
    # the first load of invoices happens now, whole
    assert second.rows["customer_invoices"] == m3_counts(infor_url)["invoices"] > 0
    assert second.rows.get("customers") is None  # the others had their cursors moved


def test_m3s_own_not_available_answer_skips_an_entity_and_those_read_from_it(settings, infor_url):
    config = only(settings, "infor", INFOR_KEPT)
    httpx.post(
        f"{infor_url}/_sandbox/infor/faults",
        json={
            "program": "OIS100MI",
            "transaction": "LstHead",
            "errorCode": "XTR0002",
            "errorMessage": "Transaction LstHead is not available in this M3 environment",
            "count": 1000,
        },
        timeout=10,
    ).raise_for_status()
    [result] = extract(config, ["infor"])
    assert result.skipped == {
        "customer_orders": "OIS100MI/LstHead: Transaction LstHead is not available in this "
        "M3 environment [XTR0002]",
        "customer_order_lines": "read from customer_orders, which was skipped",
        "delivery_lines": "read from customer_orders, which was skipped",
        "deliveries": "read from delivery_lines, which was skipped",
    }
    assert result.rows["customer_invoices"] > 0 and result.rows["chart_of_accounts"] > 0
    faults = httpx.get(f"{infor_url}/_sandbox/infor/faults", timeout=10).json()["faults"]
    assert faults[0]["fired"] == 1  # asked once, not once per customer


def test_a_server_failure_still_fails_the_source_in_one_line(settings, infor_url):
    config = only(settings, "infor", ("chart_of_accounts", "customer_invoices"))
    inject_faults(infor_url, {"kind": "status", "status": 503, "rate": 1.0, "path": "LstInvHead"})
    with pytest.raises(ExtractFailed) as caught:
        extract(config, ["infor"])
    assert str(caught.value) == (
        "extract infor failed: OIS350MI/LstInvHead: Service Unavailable: M3 is not available; "
        "try again later [HTTP 503]"
    )


def test_every_entity_refused_fails_the_source(settings, infor_url):
    config = only(settings, "infor", ("chart_of_accounts",))
    inject_faults(infor_url, {"kind": "status", "status": 403, "rate": 1.0, "path": "CRS630MI"})
    with pytest.raises(ExtractFailed, match="serves none of its entities"):
        extract(config, ["infor"])


def test_the_command_lists_what_was_skipped_and_exits_3(freshbooks, fb_url, monkeypatch):
    monkeypatch.setenv("LEDGERLINK_HOME", str(freshbooks.home))
    monkeypatch.setenv("LEDGERLINK_DISABLED_ENTITIES", freshbooks.disabled_entities_setting)
    monkeypatch.setenv("FRESHBOOKS_RATE_LIMIT", "500")
    inject_faults(fb_url, {"kind": "status", "status": 404, "rate": 1.0, "path": "credit_notes"})
    result = CliRunner().invoke(app, ["extract", "--source", "freshbooks", "--quiet"])
    assert result.exit_code == 3, result.output
    assert "skipped" in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("freshbooks  credit")]
    assert "HTTP 404" in line
    assert "Traceback" not in result.output
