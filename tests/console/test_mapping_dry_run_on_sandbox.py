"""A mapping change tried before it is saved: on the built sandbox world, mapping the planted
unmapped expense category shows, from a real dbt build on a copy of the warehouse, its journals
newly planned and their rejects resolved, while the table's file and the warehouse stay as
they were."""

from __future__ import annotations

import csv
import re

import pytest
from conftest import start_from_built
from console_support import console_at, csrf_of, logged_in

from ledgerlink.dbt import SEEDS_DIR
from ledgerlink.warehouse import connect
from sandbox.generator import UNMAPPED_EXPENSE_CATEGORY

FILE = "expense_category_gl_accounts.csv"
UNMAPPED = (
    "select count(*) from (select distinct entity, natural_key, reason from sync.sync_rejects "
    "where reason_code = 'unmapped_expense_category')"
)


@pytest.fixture(scope="module")
def settings(built_world, sandbox, module_settings):
    start_from_built(built_world, sandbox, module_settings)
    return module_settings


def test_a_dry_run_shows_what_the_sync_models_would_plan_and_saves_nothing(settings):
    with connect(settings) as con:
        (rejected,) = con.execute(UNMAPPED).fetchone()
    assert rejected > 0  # the planted category waits in the rejects
    seed_before = (SEEDS_DIR / FILE).read_bytes()
    with (SEEDS_DIR / FILE).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    rows.append([UNMAPPED_EXPENSE_CATEGORY, "6000", "2300"])

    with console_at(settings) as url:
        client = logged_in(url, settings)
        form = {"csrf": csrf_of(client.get(f"/mappings/{FILE}").text), "do": "dry-run"}
        for i, row in enumerate(rows):
            form |= {f"cell-{i}-{n}": value for n, value in enumerate(row)}
        page = client.post(f"/mappings/{FILE}", data=form)

    assert page.status_code == 200, page.text[:2000]
    text = re.sub(r"\s+", " ", page.text)
    summary = re.search(r"dry run of \S+ \(\d+ s\): (\d+) newly planned, (\d+) no longer planned, "
                        r"(\d+) with changed fields, (\d+) rejects resolved, (\d+) new rejects",
                        text)  # fmt: skip
    assert summary, text[:3000]
    added, removed, changed, resolved, caused = map(int, summary.groups())
    assert added >= 1 and resolved == rejected
    assert (removed, changed, caused) == (0, 0, 0)
    assert "sync_infor__gl_journals" in text and UNMAPPED_EXPENSE_CATEGORY in text
    assert "Tests that would fail" not in text
    # nothing was saved: not the table, not the warehouse
    assert (SEEDS_DIR / FILE).read_bytes() == seed_before
    with connect(settings) as con:
        assert con.execute(UNMAPPED).fetchone() == (rejected,)
