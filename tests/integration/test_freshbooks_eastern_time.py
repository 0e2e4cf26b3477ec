"""FreshBooks' naive US/Eastern stamps mean the same instant in the connector's models and in
staging's `eastern_to_utc` macro, including the hour that repeats and the hour that is skipped:
a repeated time is its first occurrence (EDT), a skipped one keeps the offset before the change.

One `dbt build` of `stg_freshbooks__payments` on an empty raw table runs the model's unit tests
(which pin the rule to named instants) and leaves its view, which DuckDB then runs over every
minute of both 2024 clock changes and a stamp every few minutes of the whole year.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ledgerlink.connectors.freshbooks.models import ExpenseCategory, Payment, eastern_to_utc
from pipelines.freshbooks.columns import column_hints

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
NAMED_INSTANTS = [
    # 2024-03-10: 02:00 EST becomes 03:00 EDT
    ("2024-03-10 01:30:00", datetime(2024, 3, 10, 6, 30)),  # before: EST
    ("2024-03-10 02:30:00", datetime(2024, 3, 10, 7, 30)),  # skipped: EST, the offset before
    ("2024-03-10 03:30:00", datetime(2024, 3, 10, 7, 30)),  # after: EDT
    # 2024-11-03: 02:00 EDT becomes 01:00 EST
    ("2024-11-03 00:30:00", datetime(2024, 11, 3, 4, 30)),  # before: EDT
    ("2024-11-03 01:30:00", datetime(2024, 11, 3, 5, 30)),  # repeated: the first, EDT
    ("2024-11-03 02:30:00", datetime(2024, 11, 3, 7, 30)),  # after: EST
    ("", None),
    (None, None),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`dbt build` of the payments staging model and its unit tests on an empty raw table."""
    if not DBT.exists():
        pytest.fail(f"dbt is not installed next to {sys.executable}; run `make install`")
    home = tmp_path_factory.mktemp("eastern-to-utc")
    warehouse = home / "warehouse.duckdb"
    columns = {
        **{name: hint["data_type"] for name, hint in column_hints("payments").items()},
        "account_id": "text",
        "_dlt_load_id": "text",
        "_dlt_id": "text",
    }
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw_freshbooks")
        con.execute(
            "create table raw_freshbooks.payments ("
            + ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
            + ")"
        )
    completed = subprocess.run(
        [
            str(DBT), "build", "--select", "stg_freshbooks__payments",
            "--resource-type", "model", "--resource-type", "unit_test",
            "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
            "--target-path", str(home / "target"), "--log-path", str(home / "logs"),
        ],
        cwd=PROJECT,
        env={
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "LEDGERLINK_WAREHOUSE": str(warehouse),
        },
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )  # fmt: skip
    return {"warehouse": warehouse, "returncode": completed.returncode, "output": completed.stdout}


@pytest.fixture
def staging(built: dict) -> Iterator[duckdb.DuckDBPyConnection]:
    assert built["returncode"] == 0, built["output"][-3000:]
    with duckdb.connect(str(built["warehouse"])) as con:
        con.execute("delete from raw_freshbooks.payments")
        yield con


def _sql_reading(
    con: duckdb.DuckDBPyConnection, stamps: list[str | None]
) -> dict[str | None, datetime | None]:
    """Each stamp as `stg_freshbooks__payments.updated_at` reads it (naive UTC)."""
    con.execute(
        "insert into raw_freshbooks.payments (id, updated) select unnest(?), unnest(?)",
        [list(range(len(stamps))), stamps],
    )
    rows = con.execute(
        "select payment_id, updated_at from staging.stg_freshbooks__payments"
    ).fetchall()
    return {stamps[payment_id]: updated_at for payment_id, updated_at in rows}


def _python_reading(stamp: str | None) -> datetime | None:
    """The connector's reading, as naive UTC like staging's."""
    instant = eastern_to_utc(stamp)
    return None if instant is None else instant.astimezone(UTC).replace(tzinfo=None)


def _minutes(first: datetime, last: datetime, step: timedelta) -> list[str]:
    stamps, moment = [], first
    while moment <= last:
        stamps.append(moment.strftime("%Y-%m-%d %H:%M:%S"))
        moment += step
    return stamps


def test_the_unit_tests_on_the_staging_model_pass(built: dict):
    assert built["returncode"] == 0, built["output"][-3000:]
    # the view and its two unit tests ran (and passed: the return code)
    assert "2 unit tests, 1 view model" in built["output"], built["output"][-3000:]


def test_sql_and_python_agree_on_every_minute_of_both_2024_clock_changes(staging):
    stamps = [
        *_minutes(datetime(2024, 3, 9, 22), datetime(2024, 3, 10, 6), timedelta(minutes=1)),
        *_minutes(datetime(2024, 11, 2, 22), datetime(2024, 11, 3, 6), timedelta(minutes=1)),
        "2024-11-03 01:30:00.250000",  # sub-second stamps (invoice `version`) keep their fraction
    ]
    sql = _sql_reading(staging, stamps)
    disagree = {s: (sql[s], _python_reading(s)) for s in stamps if sql[s] != _python_reading(s)}
    assert disagree == {}


def test_sql_and_python_agree_all_year(staging):
    stamps = _minutes(datetime(2024, 1, 1), datetime(2025, 1, 1), timedelta(minutes=13))
    sql = _sql_reading(staging, stamps)
    assert [s for s in stamps if sql[s] != _python_reading(s)] == []


def test_python_models_read_the_stamps_by_the_rule():
    payment = Payment.model_validate(
        {"id": 1, "amount": {"amount": "1.00", "code": "USD"}, "date": "2024-11-03",
         "updated": "2024-11-03 01:30:00"}
    )  # fmt: skip
    assert payment.updated == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    category = ExpenseCategory.model_validate(
        {"id": 2, "category": "Travel", "created_at": "2024-03-10 02:30:00", "updated_at": ""}
    )
    assert category.created_at == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)
    assert category.updated_at is None


@pytest.mark.parametrize(("stamp", "utc"), NAMED_INSTANTS)
def test_python_named_instants(stamp: str | None, utc: datetime | None):
    assert _python_reading(stamp) == utc


@pytest.mark.parametrize(("stamp", "utc"), NAMED_INSTANTS)
def test_sql_named_instants(staging, stamp: str | None, utc: datetime | None):
    assert _sql_reading(staging, [stamp])[stamp] == utc
