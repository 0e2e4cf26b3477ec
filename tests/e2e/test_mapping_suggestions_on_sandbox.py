"""The planted unmapped expense category on the sandbox, as an operator meets it: `ledgerlink
mapping suggest` proposes the right GL account with its evidence, `mapping accept` writes that row
alone into the deployment's mapping folder, and the next build and push post the expense (its
journal leaves the rejects)."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import start_from_built
from typer.testing import CliRunner

from ledgerlink.cli import app
from ledgerlink.dbt import SEEDS_DIR
from sandbox.generator import UNMAPPED_EXPENSE_CATEGORY

FILE = "expense_category_gl_accounts.csv"
FAST = {
    "FRESHBOOKS_RATE_LIMIT": "500",
    "INFOR_RATE_LIMIT": "500",
    "SHOP_RATE_LIMIT": "500",
    "HTTP_BACKOFF_BASE_SECONDS": "0.01",
    "HTTP_BACKOFF_CAP_SECONDS": "0.2",
    "PUSH_SETTLE_SECONDS": "0.5",
}


@dataclass
class Deployment:
    home: Path
    mappings: Path
    env: dict[str, str]

    def run(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args), env=self.env)
        return result.exit_code, result.output

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def deployment(built_world, sandbox: dict, module_settings, tmp_path_factory) -> Deployment:
    """The session's world authorized, extracted, built and planned (the expense waits in the
    rejects, nothing is written), with the deployment's own copy of the mapping folder."""
    start_from_built(built_world, sandbox, module_settings)
    mappings = tmp_path_factory.mktemp("mappings")
    shutil.copy(SEEDS_DIR / FILE, mappings)
    home = module_settings.home
    env = {"LEDGERLINK_HOME": str(home), "LEDGERLINK_MAPPINGS_DIR": str(mappings), **FAST}
    return Deployment(home, mappings, env)


def held_categories(deployment: Deployment) -> list[tuple]:
    return deployment.query(
        "select distinct reason from sync.sync_rejects "
        "where reason_code = 'unmapped_expense_category'"
    )


def test_suggest_proposes_bank_fees_with_evidence_and_writes_nothing(deployment: Deployment):
    assert held_categories(deployment) == [
        (f'expense category "{UNMAPPED_EXPENSE_CATEGORY}" has no GL account mapping',)
    ]
    before = (deployment.mappings / FILE).read_text()
    code, output = deployment.run("mapping", "suggest", "--json")
    assert code == 0, output
    (suggestion,) = json.loads(output)
    assert suggestion["value"] == UNMAPPED_EXPENSE_CATEGORY
    assert suggestion["row"]["gl_account"] == "6800"  # Bank fees
    assert suggestion["evidence"][0] == "proposed: 6800 Bank fees"
    assert any("Bank fees" in line and "similar" in line for line in suggestion["evidence"])
    code, output = deployment.run("mapping", "suggest")
    assert code == 0, output
    assert f"+{UNMAPPED_EXPENSE_CATEGORY},6800," in output  # the reviewable diff
    assert "nothing written" in output
    assert (deployment.mappings / FILE).read_text() == before


def test_accept_writes_that_row_and_the_next_sync_posts_the_expense(deployment: Deployment):
    code, output = deployment.run("mapping", "accept", "No Such Category")
    assert code == 1 and output.startswith("error: no suggestion for 'No Such Category'"), output
    with (SEEDS_DIR / FILE).open() as handle:
        seeded = list(csv.DictReader(handle))
    code, output = deployment.run("mapping", "accept", UNMAPPED_EXPENSE_CATEGORY, "--force")
    assert code == 0, output
    with (deployment.mappings / FILE).open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[:-1] == seeded
    assert rows[-1]["expense_category"] == UNMAPPED_EXPENSE_CATEGORY
    assert rows[-1]["gl_account"] == "6800"
    assert (deployment.home / "mapping_suggestions.jsonl").exists()

    held = deployment.query(
        "select natural_key from sync.sync_rejects where reason_code = 'unmapped_expense_category'"
    )
    assert held

    # what `ledgerlink sync` does, in one pass: build with the new row, push the GL journals
    code, output = deployment.run("transform", "--quiet")
    assert code == 0, output
    code, output = deployment.run("push", "--select", "infor_gl_journals")
    assert code == 0, output
    assert held_categories(deployment) == []
    posted = deployment.query(
        "select natural_key, status from ops.sync_records where entity = 'gl_journals' "
        "and payload like '%6800%' order by natural_key"
    )
    assert posted == [(key, "created") for (key,) in sorted(held)], output
    code, output = deployment.run("mapping", "suggest")
    assert code == 0 and "nothing to suggest" in output, output
