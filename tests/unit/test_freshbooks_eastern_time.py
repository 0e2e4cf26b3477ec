"""FreshBooks' naive US/Eastern stamps mean the same instant in the connector's models and in
staging's `eastern_to_utc` macro, including the hour that repeats and the hour that is skipped:
a repeated time is its first occurrence (EDT), a skipped one keeps the offset before the change.

One `dbt compile` gives the macro's SQL, which DuckDB runs over every minute of both 2024 clock
changes and a stamp every few minutes of the whole year; one `dbt test` runs the unit tests on
`stg_freshbooks__payments` that pin the rule to named instants.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ledgerlink.connectors.freshbooks.models import ExpenseCategory, Payment, eastern_to_utc
from pipelines.freshbooks.columns import column_hints

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
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
DBT = Path(sys.executable).with_name("dbt")


def _dbt(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "LEDGERLINK_WAREHOUSE": str(home / "warehouse.duckdb"),
    }
    return subprocess.run(
        [
            str(DBT), *args,
            "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
            "--target-path", str(home / "target"), "--log-path", str(home / "logs"),
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding an empty `raw_freshbooks.payments`, as dlt declares it."""
    if not DBT.exists():
        pytest.fail(f"dbt is not installed next to {sys.executable}; run `make install`")
    folder = tmp_path_factory.mktemp("eastern-to-utc")
    columns = {
        **{name: hint["data_type"] for name, hint in column_hints("payments").items()},
        "account_id": "text",
        "_dlt_load_id": "text",
        "_dlt_id": "text",
    }
    with duckdb.connect(str(folder / "warehouse.duckdb")) as con:
        con.execute("create schema raw_freshbooks")
        con.execute(
            "create table raw_freshbooks.payments ("
            + ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
            + ")"
        )
    return folder


@pytest.fixture(scope="module")
def macro_sql(home: Path) -> str:
    """`select <eastern_to_utc(stamp)> as utc from stamps`, compiled for DuckDB."""
    compiled = _dbt(
        home, "compile", "--quiet", "--inline",
        "select stamp, {{ eastern_to_utc('stamp') }} as utc from stamps",
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
    return compiled.stdout.strip()


def _sql_reading(macro_sql: str, stamps: list[str | None]) -> dict[str | None, datetime | None]:
    with duckdb.connect() as con:
        con.execute("create table stamps (stamp text)")
        con.executemany("insert into stamps values (?)", [(s,) for s in stamps])
        return dict(con.execute(macro_sql).fetchall())


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


def test_sql_and_python_agree_on_every_minute_of_both_2024_clock_changes(macro_sql: str):
    stamps = [
        *_minutes(datetime(2024, 3, 9, 22), datetime(2024, 3, 10, 6), timedelta(minutes=1)),
        *_minutes(datetime(2024, 11, 2, 22), datetime(2024, 11, 3, 6), timedelta(minutes=1)),
        "2024-11-03 01:30:00.250000",  # sub-second stamps (invoice `version`) keep their fraction
    ]
    sql = _sql_reading(macro_sql, stamps)
    disagree = {s: (sql[s], _python_reading(s)) for s in stamps if sql[s] != _python_reading(s)}
    assert disagree == {}


def test_sql_and_python_agree_all_year(macro_sql: str):
    stamps = _minutes(datetime(2024, 1, 1), datetime(2025, 1, 1), timedelta(minutes=13))
    sql = _sql_reading(macro_sql, stamps)
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
def test_sql_named_instants(macro_sql: str, stamp: str | None, utc: datetime | None):
    assert _sql_reading(macro_sql, [stamp])[stamp] == utc


def test_staging_unit_tests_pass(home: Path):
    tested = _dbt(home, "test", "--select", "stg_freshbooks__payments,test_type:unit")
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert "PASS=2" in tested.stdout, tested.stdout[-3000:]
