"""The dbt project built on freshly extracted sandbox data: it passes, and the problems planted
in the sandbox (a duplicate client, an outlier invoice, an unmapped expense category) are each
caught by the test meant for them."""

from __future__ import annotations

import duckdb
import httpx
import pytest
from conftest import start_from_built

from ledgerlink.connectors.freshbooks import FreshBooksClient
from ledgerlink.dbt import DbtRun, declared_source_tables, run_dbt
from pipelines.extract import extract
from sandbox.generator import UNMAPPED_EXPENSE_CATEGORY, World


@pytest.fixture(scope="module")
def built(built_world, sandbox: dict, module_settings) -> DbtRun:
    start_from_built(built_world, sandbox, module_settings)
    return built_world.run


def statuses(run: DbtRun) -> dict[str, str]:
    return {r["unique_id"].split(".")[2]: r["status"] for r in run.results}


def test_the_build_passes(built: DbtRun):
    failed = {
        name: status for name, status in statuses(built).items() if status in ("error", "fail")
    }
    assert failed == {}
    assert built.returncode == 0
    assert sum(1 for r in built.results if r["unique_id"].startswith("model.")) >= 50
    # a whole `dbt build` runs the unit tests that the builds on the data leave out
    assert sum(1 for r in built.results if r["unique_id"].startswith("unit_test.")) >= 20


def test_each_planted_problem_is_caught_by_its_test(built: DbtRun, module_settings):
    status = statuses(built)
    assert status["no_duplicate_clients"] == "warn"
    assert status["expense_categories_mapped_to_gl"] == "warn"
    assert status["invoice_amount_outliers"] == "warn"

    world = World()
    with duckdb.connect(str(module_settings.warehouse), read_only=True) as con:
        duplicates = con.execute(
            "select lower(c.email) from intermediate.int_customers_matched m "
            "join staging.stg_freshbooks__clients c using (client_key) "
            "where m.match_status = 'duplicate_client'"
        ).fetchall()
        unmapped = con.execute(
            "select distinct category_name from intermediate.int_expenses_mapped "
            "where not is_mapped"
        ).fetchall()
        outlier = con.execute(
            "select invoice_number from marts.fct_invoices order by amount desc limit 1"
        ).fetchall()
    assert duplicates == [(world.companies[0].email,)] * 2
    assert unmapped == [(UNMAPPED_EXPENSE_CATEGORY,)]
    assert outlier == [(world.sale(world.invoice_count // 2).number,)]


def test_freshbooks_eastern_stamps_become_utc_across_a_dst_change(
    sandbox: dict, module_settings, built
):
    url = sandbox["urls"]["freshbooks"]
    # 01:30 EST on 2026-03-08 (before the clocks jump) and 03:30 EDT the same night.
    instants = {"before": "2026-03-08T06:30:00+00:00", "after": "2026-03-08T07:30:00+00:00"}
    ids = {}
    try:
        with FreshBooksClient.from_settings(module_settings) as client:
            for label, instant in instants.items():
                httpx.post(
                    f"{url}/_sandbox/clock", json={"set": instant, "frozen": True}, timeout=10
                )
                ids[label] = client.create(
                    "clients", {"email": f"{label}@dst.example", "organization": label}
                ).id
    finally:
        httpx.post(f"{url}/_sandbox/clock", json={"reset": True}, timeout=10)
    extract(module_settings, ["freshbooks"])
    run_dbt(module_settings, "build", "--select", "stg_freshbooks__clients")
    with duckdb.connect(str(module_settings.warehouse), read_only=True) as con:
        rows = dict(
            con.execute(
                "select c.organization, c.updated_at from staging.stg_freshbooks__clients c "
                f"where c.client_id in ({ids['before']}, {ids['after']})"
            ).fetchall()
        )
        raw = dict(
            con.execute(
                "select organization, updated from raw_freshbooks.clients "
                f"where id in ({ids['before']}, {ids['after']})"
            ).fetchall()
        )
    assert raw == {"before": "2026-03-08 01:30:00", "after": "2026-03-08 03:30:00"}  # naive Eastern
    assert str(rows["before"]) == "2026-03-08 06:30:00"
    assert str(rows["after"]) == "2026-03-08 07:30:00"


def test_the_sources_declare_the_types_dlt_loads(built, module_settings):
    """The raw tables created before dbt runs (for entities with no rows, fields always null)
    have the columns and types dlt gives the same tables when they hold data."""
    with duckdb.connect(str(module_settings.warehouse), read_only=True) as con:
        loaded = {
            (schema, table, column): data_type.lower()
            for schema, table, column, data_type in con.execute(
                "select table_schema, table_name, column_name, data_type "
                "from information_schema.columns where table_schema like 'raw_%'"
            ).fetchall()
        }
    declared = {
        (t.schema, t.name, column): data_type
        for t in declared_source_tables()
        for column, data_type in t.columns
    }
    assert len(declared) > 500
    differing = {k: (v, loaded.get(k)) for k, v in declared.items() if loaded.get(k) != v}
    assert differing == {}
