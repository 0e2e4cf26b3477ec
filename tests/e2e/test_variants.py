"""The product on sandboxes that differ from ours the way real accounts do, driven by the
commands a user runs.

`real-world`: no shop; no credit notes and no suppliers; invoice line details always null;
five years of history (older than any read window); M3's reference wording ("Customer number is
invalid"); another tenant's codes (its own mapping tables and settings); taxed invoices with
taxes per jurisdiction (GST + PST, HST, state sales taxes); people as clients; a receipt text
other than the statement number. `no-shop-empty`: FreshBooks and Infor only, with entities
that have no rows and optional fields null everywhere. (The other end-to-end tests run on the
default sandbox, with a shop.)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest
from conftest import start_variant
from typer.testing import CliRunner

from ledgerlink.cli import app
from sandbox import runner

MAPPINGS = Path(__file__).resolve().parent / "mappings"
FAST = {
    "FRESHBOOKS_RATE_LIMIT": "500",
    "INFOR_RATE_LIMIT": "500",
    "HTTP_BACKOFF_BASE_SECONDS": "0.01",
    "HTTP_BACKOFF_CAP_SECONDS": "0.2",
    "PUSH_SETTLE_SECONDS": "0.5",
}


@dataclass
class Deployment:
    home: Path
    env: dict[str, str]
    urls: dict[str, str]

    def run(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args), env=self.env)
        return result.exit_code, result.output

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def deployment(request, tmp_path_factory) -> Iterator[Deployment]:
    profile, options, settings = request.param
    folder = tmp_path_factory.mktemp(f"variant-{profile}")
    home = folder / ".ledgerlink"
    info = start_variant(home, profile, **options)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(folder)  # no .env of the checkout
        for key in list(os.environ):
            if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_")):
                monkeypatch.delenv(key)
        env = {"LEDGERLINK_HOME": str(home), **FAST, **settings}
        deployed = Deployment(home, env, info["urls"])
        code, output = deployed.run("auth", "freshbooks", "--headless")
        assert code == 0, output
        try:
            yield deployed
        finally:
            runner.stop(home)


REAL_WORLD = (
    "real-world",
    {},
    {
        "LEDGERLINK_MAPPINGS_DIR": str(MAPPINGS / "other_tenant"),
        "INFOR_FACILITY": "F10",
        "INFOR_WAREHOUSE": "W10",
    },
)
EMPTY = (
    "no-shop",
    {
        "empty": ("freshbooks.credit_notes", "infor.suppliers", "infor.gl_voucher_lines"),
        "null_fields": ("all",),
    },
    {},
)


def sync(deployment: Deployment) -> str:
    code, output = deployment.run("sync")
    assert code == 0, output
    return output


def written(output: str) -> int:
    """Records created or updated over the passes of one `ledgerlink sync`."""
    lines = [line.split() for line in output.splitlines() if line.strip().startswith("pass ")]
    return sum(int(words[5]) + int(words[7]) for words in lines)


# --- the whole story on a tenant that is not ours ------------------------------------------------


@pytest.mark.parametrize("deployment", [REAL_WORLD], indirect=True, ids=["real-world"])
class TestRealWorld:
    def test_check_finds_every_code_in_the_tenant(self, deployment: Deployment):
        code, output = deployment.run("check")
        assert code == 0, output
        assert "ok:" in output

    def test_the_first_sync_creates_every_planned_customer_and_order(self, deployment: Deployment):
        sync(deployment)
        failed = deployment.query(
            "select entity, natural_key, error_message from ops.sync_records "
            # the planted outlier invoice may be held for review: written it is not, failed neither
            "where status not in ('created', 'updated', 'unchanged', 'held_for_review')"
        )
        assert failed == []
        # the tenant's mapping tables leave nothing unmapped but the category the sandbox plants
        unmapped = deployment.query(
            "select distinct reason_code, reason from sync.sync_rejects "
            "where reason_code like 'unmapped%' and reason_code <> 'unmapped_expense_category'"
        )
        assert unmapped == []
        customers = deployment.query(
            "select count(*) from ops.sync_records where entity = 'customers' "
            "and status = 'created'"
        )[0][0]
        orders = deployment.query(
            "select count(*) from ops.sync_records where entity = 'customer_orders' "
            "and status = 'created'"
        )[0][0]
        assert customers > 0 and orders > 0
        # Infor's names of the customers created from FreshBooks clients (people among them)
        # are ledgerlink's own writes: nothing flows back into FreshBooks
        echoed = deployment.query(
            "select natural_key, payload from ops.sync_records "
            "where target = 'freshbooks' and entity = 'clients'"
        )
        assert echoed == []
        people = deployment.query(
            "select count(*) from ops.sync_records as records "
            "join staging.stg_freshbooks__clients as clients "
            "on records.natural_key = 'FB' || clients.client_id "
            "where records.entity = 'customers' and clients.company_size = '1'"
        )[0][0]
        assert people > 0

    def test_receipts_reconcile_fully_paid_taxed_invoices_in_infor(self, deployment: Deployment):
        orders = [
            order
            for (order,) in deployment.query(
                "select target_id from ops.sync_records where entity = 'customer_orders' "
                "and target_id is not null order by natural_key"
            )
        ]
        infor = deployment.urls["infor"]
        for order in orders:
            for step in ("ship", "invoice"):
                response = httpx.post(f"{infor}/_sandbox/infor/orders/{order}/{step}", timeout=30)
                response.raise_for_status()
        sync(deployment)
        unreconciled = deployment.query(
            "select invoice_number, amount, paid_amount, m3_invoice_number from marts.fct_invoices "
            "where m3_invoice_number is not null and not is_deleted "
            "and paid_amount = amount and amount > 0 and not is_paid_in_infor"
        )
        assert unreconciled == []
        taxed = deployment.query(
            "select count(*) from marts.fct_invoices as invoices where is_paid_in_infor and exists "
            "(select 1 from staging.stg_freshbooks__invoice_lines as lines "
            "join staging.stg_freshbooks__invoices as heads on lines.invoice_dlt_id = heads.dlt_id "
            "where heads.invoice_key = invoices.invoice_key and lines.tax_percent_1 > 0)"
        )[0][0]
        assert taxed > 0

    def test_the_next_syncs_write_nothing_in_either_direction(self, deployment: Deployment):
        for _ in range(2):
            assert written(sync(deployment)) == 0
        # read back: every shipped invoice, sent or paid already, carries Infor's reference
        unreferenced = deployment.query(
            "select invoices.invoice_number, invoices.status from marts.fct_invoices as invoices "
            "join staging.stg_freshbooks__invoices as heads using (invoice_key) "
            "where invoices.is_shipped and not invoices.is_deleted "
            "and coalesce(heads.po_number, '') not like '%M3 delivery%'"
        )
        assert unreferenced == []
        shipped = deployment.query(
            "select count(*) from marts.fct_invoices where is_shipped and status <> 'draft'"
        )[0][0]
        assert shipped > 0

    def test_a_failing_mapping_test_holds_only_the_pushes_it_guards(
        self, deployment: Deployment, tmp_path: Path
    ):
        # an operator pastes one expense category twice: its `unique` test fails, so dbt skips
        # the journal models; every other push goes on, and the run says so and exits 1
        mappings = tmp_path / "mappings"
        shutil.copytree(MAPPINGS / "other_tenant", mappings)
        seed = mappings / "expense_category_gl_accounts.csv"
        lines = seed.read_text().splitlines()
        seed.write_text("\n".join([*lines, lines[1]]) + "\n")
        broken = Deployment(
            deployment.home, {**deployment.env, "LEDGERLINK_MAPPINGS_DIR": str(mappings)}, {}
        )
        code, output = broken.run("sync")
        assert code == 1, output
        held = {
            line.split()[1].rstrip(":") for line in output.splitlines() if line.startswith("held ")
        }
        assert held == {"infor_gl_journals"}, output
        assert "unique_expense_category_gl_accounts_expense_category" in output
        assert "infor_customers" in output  # planned and pushed
        # the row removed again, the next sync is green
        assert written(sync(deployment)) == 0

    def test_a_full_refresh_then_transform_builds(self, deployment: Deployment):
        code, output = deployment.run("extract", "--full-refresh", "--quiet")
        assert code == 0, output
        code, output = deployment.run("transform")
        assert code == 0, output


# --- FreshBooks and Infor only, as configured by the settings a sandbox writes -------------------


@pytest.mark.parametrize("deployment", [EMPTY], indirect=True, ids=["no-shop-empty"])
def test_every_command_runs_without_a_shop(deployment: Deployment):
    code, output = deployment.run("config")
    assert code == 0 and "shop        off" in output, output
    code, output = deployment.run("extract", "--quiet")
    assert code == 0, output
    assert "skipped" not in output
    # a full refresh drops what dlt made; the build after it still finds every table and column
    code, output = deployment.run("extract", "--full-refresh", "--quiet")
    assert code == 0, output
    code, output = deployment.run("sync", "--dry-run")
    assert code == 0, output
    code, output = deployment.run("webhooks", "register", "--url", "http://127.0.0.1:9")
    assert code == 0, output
    assert "shop" not in output
    tables = {
        name
        for (name,) in deployment.query(
            "select table_schema || '.' || table_name from information_schema.tables"
        )
    }
    assert "raw_freshbooks.credit_notes" in tables
    assert not any(name.startswith("raw_shop.") for name in tables)
