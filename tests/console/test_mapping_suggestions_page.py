"""The suggestions page on the built sandbox world: the planted unmapped expense category is
proposed with its evidence; an operator rejects it (recorded, and hidden while its evidence is
the same), then accepts it, which writes the row as `ledgerlink mapping accept` does."""

from __future__ import annotations

import csv
import json
import re
import shutil

import duckdb
import pytest
from conftest import start_from_built
from console_support import console_at, csrf_of, logged_in
from typer.testing import CliRunner

from ledgerlink.cli import app
from ledgerlink.dbt import SEEDS_DIR
from ledgerlink.warehouse import snapshot_path
from reverse_etl import mapping_edits
from reverse_etl.mapping_suggestions import ACCEPTED_LOG, REJECTED_LOG
from sandbox.generator import UNMAPPED_EXPENSE_CATEGORY

FILE = "expense_category_gl_accounts.csv"


@pytest.fixture(scope="module")
def settings(built_world, sandbox, module_settings, tmp_path_factory):
    start_from_built(built_world, sandbox, module_settings)
    folder = tmp_path_factory.mktemp("mappings")
    shutil.copy(SEEDS_DIR / FILE, folder)
    return module_settings.model_copy(update={"mappings_dir": folder})


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", page)


def test_an_operator_rejects_then_accepts_a_suggestion(settings):
    seeded = (SEEDS_DIR / FILE).read_text()
    with console_at(settings) as url:
        client = logged_in(url, settings)
        page = client.get("/suggestions")
        assert page.status_code == 200, page.text[:2000]
        text = text_of(page.text)
        assert UNMAPPED_EXPENSE_CATEGORY in text and "proposed: 6800 Bank fees" in text
        assert "Nothing is accepted automatically" in text
        found = re.search(r'name="kind" value="expense_category"> '
                          r'<input type="hidden" name="id" value="([0-9a-f]+)">', text)  # fmt: skip
        assert found, text[:3000]
        ident, csrf = found.group(1), csrf_of(page.text)
        form = {"kind": "expense_category", "id": ident}

        assert client.post("/suggestions", data=form | {"do": "reject"}).status_code == 403
        answer = client.post("/suggestions", data=form | {"do": "reject", "csrf": csrf})
        assert answer.status_code == 303
        (entry,) = [json.loads(x) for x in (settings.home / REJECTED_LOG).read_text().splitlines()]
        assert entry["value"] == UNMAPPED_EXPENSE_CATEGORY
        assert entry["actor"] and entry["rejected_at"]
        page = text_of(client.get("/suggestions").text)
        assert "it is not suggested again until its evidence changes" in page
        assert f"suggestion-{ident}" not in page

        (settings.home / REJECTED_LOG).unlink()  # as if its evidence had changed
        answer = client.post("/suggestions", data=form | {"do": "accept", "csrf": csrf})
        assert answer.status_code == 303
        page = text_of(client.get("/suggestions").text)
        assert "confidence below 0.40" in page  # a person confirms a weak one
        answer = client.post(
            "/suggestions", data=form | {"do": "accept", "force": "1", "csrf": csrf}
        )
        assert answer.status_code == 303
        page = text_of(client.get("/suggestions").text)
        assert f"added {UNMAPPED_EXPENSE_CATEGORY!r}" in page.replace("&#39;", "'")
        grid = text_of(client.get(f"/mappings/{FILE}").text)

    with (settings.mappings_dir / FILE).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1] == {
        "expense_category": UNMAPPED_EXPENSE_CATEGORY,
        "gl_account": "6800",
        "offset_account": rows[-1]["offset_account"],
    }
    origins = mapping_edits.read_origins(settings)[FILE]
    assert origins[UNMAPPED_EXPENSE_CATEGORY.lower()]["origin"] == "suggested"
    (accepted,) = [json.loads(x) for x in (settings.home / ACCEPTED_LOG).read_text().splitlines()]
    assert accepted["id"] == ident and accepted["evidence"] and accepted["forced"]
    assert "<td>suggested</td>" in grid and "<td>person</td>" in grid
    assert (SEEDS_DIR / FILE).read_text() == seeded  # the project's seed is not touched


def test_the_commands_read_the_same_snapshot_for_items_and_new_columns(settings):
    env = {"LEDGERLINK_HOME": str(settings.home), "LEDGERLINK_MAPPINGS_DIR": ""}
    result = CliRunner().invoke(app, ["mapping", "suggest", "--kind", "item", "--json"], env=env)
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    # lines of items deleted in FreshBooks: the name still says which Infor item they sell
    assert found, "the world has lines whose FreshBooks item was deleted"
    with duckdb.connect(str(snapshot_path(settings)), read_only=True) as con:
        names = dict(con.execute("select item_number, item_name from marts.dim_items").fetchall())
    for suggestion in found:
        assert names[suggestion["row"]["m3_item_number"]] == suggestion["value"]
        if not suggestion["row"]["freshbooks_sku"]:
            assert any("restore the item" in e for e in suggestion["evidence"])
    result = CliRunner().invoke(
        app, ["mapping", "accept", found[0]["id"], "--kind", "item", "--force"], env=env
    )
    if not found[0]["row"]["freshbooks_sku"]:  # the crosswalk is keyed by SKU
        assert result.exit_code == 1
        assert "has no freshbooks_sku: see its evidence" in result.output
    # the columns the sources never declared, once acknowledged, are not suggested again
    result = CliRunner().invoke(app, ["mapping", "fields", "--json"], env=env)
    assert result.exit_code == 0, result.output
    undeclared = json.loads(result.output)
    assert all(not f["column"].startswith("_dlt") for f in undeclared)
    result = CliRunner().invoke(app, ["mapping", "fields", "--acknowledge"], env=env)
    assert result.exit_code == 0 and f"{len(undeclared)} undeclared columns" in result.output
    result = CliRunner().invoke(app, ["mapping", "fields"], env=env)
    assert result.exit_code == 0, result.output
    assert "every raw column is declared in dbt's sources" in result.output
