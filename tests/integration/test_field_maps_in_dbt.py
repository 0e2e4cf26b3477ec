"""Field maps applied by dbt: a real `dbt build` of one sync model on the built sandbox world,
with an override of each kind; the planned payload holds the transformed values, the content
hash reads them, and the M3 length test still checks them. The overrides are given as the
`ledgerlink_field_maps` variable, in the shape of dbt's copy of reverse_etl/field_maps.yml, so
the project's files stay as they are. Without overrides the sync models compile as before."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from decimal import Decimal

import duckdb
import pytest
from conftest import start_from_built

from ledgerlink.dbt import (
    PROJECT_DIR,
    SEEDS_DIR,
    build_target,
    dbt_environment,
    dbt_executable,
    dbt_vars,
)
from ledgerlink.warehouse import writer_lock
from reverse_etl import field_maps
from reverse_etl.definitions import load_syncs

SYNCS = load_syncs()
(CUSTOMERS,) = [s for s in SYNCS if s.name == "infor_customers"]
MODEL = "sync_infor__customers"
CONSTANT = "O'Brien's; drop table x --"
OVERRIDES = [
    {"field": "CUTM", "lookup": {"seed": "currencies", "key": "currency_code",
                                 "value": "customer_template", "column": "CUCD"}},
    {"field": "YREF", "constant": {"value": CONSTANT}},
    {"field": "TOWN", "split": {"column": "CUNM", "separator": " ", "part": 1}},
    {"field": "ALCU", "concat": {"columns": ["CUCL", "ORTP"], "separator": "-"}},
    {"field": "VTCD", "conditional": {"column": "CSCD", "equals": "US", "then": "USX"}},
    {"field": "VRNO", "rename": {"column": "client_type"}},
    {"field": "CRLM", "cast": {"type": "decimal"}},
    # longer than CRS610MI/Add takes: the M3 length test must catch it
    {"field": "CUA2", "constant": {"value": "x" * 80}},
]  # fmt: skip


def compiled(settings) -> str:
    path = build_target(settings) / "compiled" / "ledgerlink" / "models" / "sync" / f"{MODEL}.sql"
    return path.read_text()


def rows(settings) -> dict[str, dict]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        found = con.execute(f"select * from sync.{MODEL}").fetchall()
        names = [d[0] for d in con.description]
    return {row[names.index("natural_key")]: dict(zip(names, row, strict=True)) for row in found}


@pytest.fixture(scope="module")
def built(built_world, sandbox: dict, module_settings):
    settings = module_settings
    start_from_built(built_world, sandbox, settings)
    before, compiled_before = rows(settings), compiled(settings)
    plan_columns = field_maps.built_plan_columns(settings, SYNCS)
    overrides = field_maps.check_all(
        [{"sync": CUSTOMERS.name, **o} for o in OVERRIDES], SYNCS, plan_columns
    )
    variables = {**dbt_vars(settings), "ledgerlink_field_maps": field_maps.for_dbt(overrides)}
    target = build_target(settings)
    command = [
        dbt_executable(), "build", "--select", MODEL, "--vars", json.dumps(variables),
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(target),
    ]  # fmt: skip
    with writer_lock(settings, "test"):
        done = subprocess.run(
            command, env={**os.environ, **dbt_environment(settings)}, capture_output=True,
            text=True, timeout=600, check=False,
        )  # fmt: skip
    results = json.loads((target / "run_results.json").read_text())["results"]
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rehashed = con.execute(
            "select bool_and(md5(concat("
            + ", '|', ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in CUSTOMERS.columns)
            + ")) = content_hash) from sync."
            + MODEL
        ).fetchone()[0]
    return {
        "output": done.stdout,
        "status": {r["unique_id"].split(".")[2]: r["status"] for r in results},
        "before": before,
        "after": rows(settings),
        "rehashed": rehashed,
        "compiled_before": compiled_before,
        "compiled_after": compiled(settings),
        "plan_columns": plan_columns,
    }


def test_the_payload_holds_each_transformed_value(built):
    assert built["status"][MODEL] == "success", built["output"][-3000:]
    before, after = built["before"], built["after"]
    assert before and after.keys() == before.keys()
    with (SEEDS_DIR / "currencies.csv").open() as handle:
        templates = {r["currency_code"]: r["customer_template"] for r in csv.DictReader(handle)}
    for key, row in after.items():
        was = before[key]
        assert row["CUTM"] == templates.get(row["CUCD"]), key
        assert row["YREF"] == CONSTANT  # a literal, quotes and all
        assert row["TOWN"] == (was["CUNM"].split(" ")[0] or None)
        assert row["ALCU"] == "-".join(v for v in (was["CUCL"], was["ORTP"]) if v is not None)
        assert row["VTCD"] == ("USX" if was["CSCD"] == "US" else was["VTCD"])
        if was["CRLM"] is not None:
            assert isinstance(row["CRLM"], Decimal)  # money stays decimal
            assert row["CRLM"] == Decimal(was["CRLM"])
        assert row["CUNM"] == was["CUNM"] and row["CUNO"] == was["CUNO"]  # no map: as planned


def test_the_content_hash_reads_the_transformed_values(built):
    assert built["rehashed"] is True
    changed = [k for k in built["after"] if built["after"][k]["content_hash"]
               != built["before"][k]["content_hash"]]  # fmt: skip
    assert changed == list(built["after"])


def test_the_m3_length_test_checks_an_overridden_field(built):
    status = built["status"]
    (length,) = [name for name in status if name.startswith(f"fits_m3_contract_{MODEL}")]
    assert status[length] == "fail"
    others = {n: s for n, s in status.items() if n != length and s not in ("success", "pass")}
    assert others == {}


def test_the_plan_columns_are_read_from_the_compiled_plan(built):
    columns = built["plan_columns"]["plan_infor__customers"]
    assert {"client_type", "CUCD", "reason_code", *CUSTOMERS.columns} <= set(columns)
    assert set(built["plan_columns"]) == {"plan_" + s.model[5:] for s in SYNCS}


def test_only_the_planned_step_changes_and_only_with_overrides(built):
    before, after = built["compiled_before"], built["compiled_after"]
    assert "replace (" not in before and "as plan_row" not in before
    # without a field map, the step as it has always read
    assert (
        "planned as (\n\n    select * from __dbt__cte__plan_infor__customers\n"
        "    where reason_code is null\n\n),\n" in before
    )
    head, tail = before.split("planned as (", 1), after.split("planned as (", 1)
    assert head[0] == tail[0]  # the plan's CTE as it was
    assert head[1].split("hashed as (", 1)[1] == tail[1].split("hashed as (", 1)[1]
