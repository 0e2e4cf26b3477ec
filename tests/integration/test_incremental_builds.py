"""Building only what changed: a build after a clean one selects the nodes downstream of the
tables whose data changed, nothing when none did, and everything when the project did."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import start_from_built
from typer.testing import CliRunner

from ledgerlink.builds import build_changed, current_state, forget_last_build, project_digest
from ledgerlink.cli import app
from ledgerlink.dbt import SEEDS_DIR
from ledgerlink.warehouse import connect
from pipelines.extract import extract

pytestmark = pytest.mark.integration


def models(run) -> set[str]:
    ids = [r["unique_id"] for r in run.results]
    return {i.split(".")[2] for i in ids if i.startswith("model.")}


def test_a_build_selects_what_the_changed_tables_feed_and_nothing_when_none_changed(
    built_world, sandbox, settings, monkeypatch
):
    start_from_built(built_world, sandbox, settings)  # authorized and extracted
    forget_last_build(settings)  # no clean build recorded: the next one is the first
    monkeypatch.setenv("LEDGERLINK_HOME", str(settings.home))
    whole = CliRunner().invoke(app, ["transform", "--quiet"])
    assert whole.exit_code == 0, whole.output

    assert build_changed(settings) is None  # nothing changed since that build: no dbt at all
    extract(settings)  # an incremental load that finds nothing new changes nothing
    assert build_changed(settings) is None

    with connect(settings, read_only=False) as con:  # what a dlt merge of one client leaves
        con.execute(
            "update raw_freshbooks.clients set _dlt_load_id = '9999999999.0' "
            "where id = (select min(id) from raw_freshbooks.clients)"
        )
    second = build_changed(settings)
    assert second is not None and second.returncode == 0
    built = models(second)
    assert {"stg_freshbooks__clients", "int_customers_matched"} <= built
    assert not {"stg_infor__gl_voucher_lines", "stg_shop__orders"} & built
    assert build_changed(settings) is None


def test_a_changed_mapping_table_or_setting_changes_the_project(settings, tmp_path: Path):
    digest = project_digest(settings)
    assert project_digest(settings) == digest

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    seed = sorted(SEEDS_DIR.glob("*.csv"))[0]
    shutil.copyfile(seed, mappings / seed.name)
    same_rows = settings.model_copy(update={"mappings_dir": mappings})
    assert project_digest(same_rows) == digest  # the same tables, from another folder
    (mappings / seed.name).write_text(seed.read_text() + "EXTRA,ROW\n")
    assert project_digest(same_rows) != digest

    other_tenant = settings.model_copy(update={"infor_divi": "XYZ"})
    assert project_digest(other_tenant) != digest
    assert current_state(settings).sources == {}  # no warehouse yet: no table to compare
