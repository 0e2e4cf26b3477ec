"""Columns a raw table has that dbt's sources do not declare, and the M3 fields each could map
to, from the project's M3 contract."""

from __future__ import annotations

import duckdb
import pytest

from ledgerlink.errors import LedgerlinkError
from reverse_etl.field_suggestions import suggest_fields


def snapshot_with(*columns: tuple[str, str, str, str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table raw_columns (schema_name varchar, table_name varchar, "
        "column_name varchar, data_type varchar)"
    )
    con.executemany("insert into raw_columns values (?, ?, ?, ?)", list(columns))
    return con


def test_only_undeclared_columns_of_declared_tables_are_suggested():
    con = snapshot_with(
        ("raw_freshbooks", "clients", "email", "VARCHAR"),  # declared
        ("raw_freshbooks", "clients", "_dlt_id", "VARCHAR"),  # dlt's own
        ("raw_freshbooks", "no_such_table", "x", "VARCHAR"),  # no source declares the table
        ("raw_freshbooks", "invoices", "purchase_order", "VARCHAR"),
    )
    (only,) = suggest_fields(con)
    assert (only.table, only.column) == ("invoices", "purchase_order")
    assert only.sources_file.endswith("staging/freshbooks/_freshbooks__sources.yml")
    assert only.yaml.splitlines()[-1] == "- {name: purchase_order, data_type: varchar}"
    assert all(t.transaction == "OIS100MI/AddBatchHead" for t in only.targets)
    assert "CUOR" in [t.name for t in only.targets]  # the customer's order number
    assert len(only.targets) == 3
    assert suggest_fields(con, known={"raw_freshbooks.invoices.purchase_order"}) == []


def test_a_new_number_column_prefers_number_fields_of_the_transactions_it_feeds():
    (only,) = suggest_fields(snapshot_with(("raw_freshbooks", "clients", "credit_limit", "DOUBLE")))
    assert only.targets[0].transaction == "CRS610MI/ChgFinancial"
    assert only.targets[0].name.startswith("CRL") and only.targets[0].type == "number"


def test_a_new_infor_column_is_named_by_the_contract():
    (only,) = suggest_fields(snapshot_with(("raw_infor", "items", "dwno", "VARCHAR")))
    assert only.meaning.startswith("M3 field DWNO: 'Drawing number' (MMS200MI/")
    assert only.targets == []


def test_an_old_snapshot_says_how_to_refresh_it():
    with pytest.raises(LedgerlinkError, match="run `ledgerlink extract`"):
        suggest_fields(duckdb.connect())
