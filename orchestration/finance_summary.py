"""What a finance person wants to know after a sync: where FreshBooks and Infor disagree, what
dbt's warn-severity tests flagged, and which records wait for a person.

It reads the marts (`marts.reconciliation`, `marts.ar_aging`), the ledger (`ops`), the rows
the sync models held back (`sync.sync_rejects`) and the dbt tests' latest evaluations as Dagster
asset checks. The differences and the held records carry the SQL that lists their rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
from dagster import AssetCheckEvaluation, AssetCheckSeverity

from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect

FAILED_ROWS = "dagster_dbt/failed_row_count"
SHOWN = 3

RECONCILIATION = """
select customer_name, month_start, currency_code,
    invoiced_difference_amount, payments_difference_amount
from marts.reconciliation
where is_invoiced_drift or is_payments_drift
order by abs(invoiced_difference_amount) + abs(payments_difference_amount) desc
"""
AR_AGING = """
select customer_name, currency_code, total_outstanding_amount, infor_open_amount,
    infor_difference_amount
from marts.ar_aging
where not is_infor_in_agreement
order by abs(infor_difference_amount) desc
"""
HELD = "select reason, count(*) as records from sync.sync_rejects group by reason order by 2 desc"
DEAD_LETTERS = """
select left(intent_key, 12), entity, natural_key, reason from ops.dead_letters
where status = 'open' order by failed_at
"""


@dataclass
class Disagreements:
    """Rows of a mart where the two systems disagree: how many, of how many customers, by how
    much in total (per difference and currency, as absolute amounts), and the largest rows."""

    rows: int
    customers: int
    totals: dict[str, dict[str, Decimal]]
    largest: list[tuple]
    query: str


@dataclass
class Anomaly:
    check: str
    model: str
    records: int


@dataclass
class FinanceSummary:
    invoices_in_infor: int
    shipped: int
    paid_in_infor: int
    journals: int
    reconciliation: Disagreements
    ar_aging: Disagreements
    anomalies: list[Anomaly] = field(default_factory=list)
    dead_letters: list[tuple[str, str, str, str]] = field(default_factory=list)
    held: list[tuple[str, int]] = field(default_factory=list)
    held_query: str = HELD


def one_line(sql: str) -> str:
    return " ".join(sql.split())


def _disagreements(
    con: duckdb.DuckDBPyConnection, sql: str, differences: dict[str, str]
) -> Disagreements:
    """`sql` lists one disagreement a row, largest first, the customer's name first;
    `differences` names its amount columns by what differs (`{"invoiced": "<column>"}`)."""
    cursor = con.execute(sql)
    columns = [description[0] for description in cursor.description]
    rows = cursor.fetchall()
    totals: dict[str, dict[str, Decimal]] = {name: {} for name in differences}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        for name, column in differences.items():
            by_currency = totals[name]
            currency = record["currency_code"]
            by_currency[currency] = by_currency.get(currency, Decimal(0)) + abs(record[column] or 0)
    return Disagreements(
        rows=len(rows),
        customers=len({row[0] for row in rows}),
        totals=totals,
        largest=rows[:SHOWN],
        query=one_line(sql),
    )


def anomalies(evaluations: Iterable[AssetCheckEvaluation]) -> list[Anomaly]:
    """The warn-severity checks whose latest evaluation failed, most records first."""
    latest = {(e.asset_key, e.check_name): e for e in evaluations}
    found = [
        Anomaly(
            check=e.check_name,
            model=e.asset_key.path[-1],
            records=int(e.metadata[FAILED_ROWS].value) if FAILED_ROWS in e.metadata else 0,
        )
        for e in latest.values()
        if not e.passed and e.severity == AssetCheckSeverity.WARN
    ]
    return sorted(found, key=lambda a: (-a.records, a.check))


def finance_summary(
    settings: Settings, evaluations: Iterable[AssetCheckEvaluation]
) -> FinanceSummary:
    with connect(settings) as con:
        invoices_in_infor, shipped, paid = con.execute(
            "select count(*) filter (where m3_order_number is not null), "
            "count(*) filter (where shipped_on is not null), "
            "count(*) filter (where is_paid_in_infor) "
            "from marts.fct_invoices"
        ).fetchone()
        (journals,) = con.execute(
            "select count(*) from ops.sync_records where entity = 'gl_journals' "
            "and status in ('created', 'unchanged')"
        ).fetchone()
        return FinanceSummary(
            invoices_in_infor=invoices_in_infor,
            shipped=shipped,
            paid_in_infor=paid,
            journals=journals,
            reconciliation=_disagreements(
                con,
                RECONCILIATION,
                {"invoiced": "invoiced_difference_amount", "paid": "payments_difference_amount"},
            ),
            ar_aging=_disagreements(con, AR_AGING, {"open": "infor_difference_amount"}),
            anomalies=anomalies(evaluations),
            dead_letters=con.execute(DEAD_LETTERS).fetchall(),
            held=con.execute(HELD).fetchall(),
        )
