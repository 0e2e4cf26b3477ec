"""Mapping suggestions: the scoring (history, names, mapped rows), on a warehouse of a few rows,
and acceptance that only ever adds rows."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ledgerlink.cli import app
from ledgerlink.dbt import SEEDS_DIR
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import load_settings
from reverse_etl import mapping_edits
from reverse_etl.mapping_suggestions import (
    ACCEPTED_LOG,
    REJECTED_LOG,
    Evidence,
    Target,
    TextIndex,
    accept,
    auto_accept,
    confidence,
    rank,
    reject,
    suggest,
)

TARGETS = [
    Target("6000", "Advertising"),
    Target("6300", "Meals and entertainment"),
    Target("6600", "Travel"),
    Target("6700", "Software and subscriptions"),
    Target("6800", "Bank fees"),
]
MAPPED = {"Advertising": "6000", "Travel": "6600", "Software & Subscriptions": "6700"}


def index_for(*values: str) -> TextIndex:
    return TextIndex([t.description for t in TARGETS] + list(MAPPED) + list(values))


def test_the_name_alone_finds_the_account():
    ranked = rank("Card Processing Fees", TARGETS, Evidence(mapped=MAPPED), index_for())
    assert ranked[0].code == "6800"
    assert "Bank fees" in ranked[0].reasons[0]


def test_ample_consistent_history_wins_over_the_name():
    history = Evidence(
        history=Counter({"6300": 12}),
        history_notes={"6300": "the same vendor's expenses were posted to 6300 12 times"},
        mapped=MAPPED,
    )
    ranked = rank("Travel Fees", TARGETS, history, index_for("Travel Fees"))
    assert ranked[0].code == "6300"
    assert ranked[0].reasons[0].startswith("the same vendor's expenses")
    by_name = rank("Travel Fees", TARGETS, Evidence(mapped=MAPPED), index_for("Travel Fees"))
    assert by_name[0].code == "6600"


def test_one_past_posting_does_not_outweigh_a_clear_name():
    history = Evidence(history=Counter({"6300": 1}), mapped=MAPPED)
    ranked = rank("Bank Fees", TARGETS, history, index_for("Bank Fees"))
    assert ranked[0].code == "6800"


def test_a_similar_mapped_name_counts_for_its_account():
    ranked = rank("Software Subscriptions", TARGETS, Evidence(mapped=MAPPED), index_for())
    assert ranked[0].code == "6700"
    assert any("Software & Subscriptions" in r for r in ranked[0].reasons)


def test_scores_are_deterministic_and_ties_break_on_the_code():
    first = rank("Zzz", TARGETS, Evidence(mapped=MAPPED), index_for("Zzz"))
    again = rank("Zzz", TARGETS, Evidence(mapped=MAPPED), index_for("Zzz"))
    assert first == again
    assert [s.code for s in first] == sorted(s.code for s in first)  # all zero: by code


def test_confidence_is_lower_when_the_runner_up_is_close():
    clear = rank("Bank fees", TARGETS, Evidence(mapped=MAPPED), index_for())
    assert confidence(clear) >= 0.9  # the account's own name
    assert confidence([]) == 0.0
    close = [clear[0], type(clear[0])("6999", clear[0].score, ())]
    assert confidence(close) < 0.6


# --- on a warehouse of a few rows ----------------------------------------------------------------
@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema sync; create schema marts; create schema intermediate")
    reasons = [f'expense category "{c}" has no GL account mapping' for c in ("Crypto Fees",) * 2]
    reasons.append('expense category "Travel" has no GL account mapping')
    con.execute("create table sync.sync_rejects (reason_code varchar, reason varchar)")
    con.executemany(
        "insert into sync.sync_rejects values ('unmapped_expense_category', ?)",
        [[r] for r in reasons],
    )
    con.execute(
        "create table marts.dim_gl_accounts as select * from (values "
        "('6600', 'Travel', 'EXPENSE', false, true, null),"
        "('6800', 'Bank fees', 'EXPENSE', false, true, null),"
        "('6990', 'Bank fees (closed)', 'EXPENSE', true, true, null),"
        "('4000', 'Product sales', 'REVENUE', false, true, null)"
        ") as t(account_number, account_name, account_group, is_blocked, "
        "is_profit_and_loss_account, account_short_name)"
    )
    con.execute(
        "create table intermediate.int_expenses_mapped as select * from (values "
        "('Shell', 'Crypto Fees', null, false), ('Shell', 'Travel', '6600', true)"
        ") as t(vendor, category_name, gl_account, is_mapped)"
    )
    return con


@pytest.fixture
def mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "mappings"
    folder.mkdir()
    shutil.copy(SEEDS_DIR / "expense_category_gl_accounts.csv", folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGERLINK_MAPPINGS_DIR", str(folder))
    return load_settings(ledgerlink_home=tmp_path / ".ledgerlink")


def test_a_value_already_mapped_is_never_proposed_again(warehouse, mappings):
    found = suggest(mappings, warehouse)
    assert [s.value for s in found] == ["Crypto Fees"]  # Travel has a row already
    (only,) = found
    assert only.row == {
        "expense_category": "Crypto Fees",
        "gl_account": "6800",
        "offset_account": "2300",  # no row posts to 6800: the offset most rows use
    }
    assert only.evidence[0] == "proposed: 6800 Bank fees"
    assert "2 expenses wait in 'Crypto Fees' for a GL account" in only.evidence
    assert any("Shell (1)" in line for line in only.evidence)  # the vendor's history, in words
    assert only.blocked_records == 2
    assert all(a["target"] not in ("6990", "4000") for a in only.alternatives)
    assert suggest(mappings, warehouse)[0] == only  # deterministic, id included


def test_accept_adds_the_row_records_it_and_never_replaces_one(warehouse, mappings):
    found = suggest(mappings, warehouse)
    with pytest.raises(LedgerlinkError, match=r"confidence below 0\.99"):
        accept(mappings, found, ["Crypto Fees"], min_confidence=0.99)
    with pytest.raises(LedgerlinkError, match="no suggestion for 'Nope'"):
        accept(mappings, found, ["Nope"], min_confidence=0.0)
    _, before = mapping_edits.read_table(mappings, "expense_category_gl_accounts.csv")
    _, path = accept(mappings, found, [found[0].id], min_confidence=0.0, actor="ann")
    assert path == mappings.mappings_dir / "expense_category_gl_accounts.csv"
    _, after = mapping_edits.read_table(mappings, "expense_category_gl_accounts.csv")
    assert after[:-1] == before
    assert after[-1]["expense_category"] == "Crypto Fees" and after[-1]["gl_account"] == "6800"
    (entry,) = [
        json.loads(line) for line in (mappings.home / ACCEPTED_LOG).read_text().splitlines()
    ]
    assert entry["value"] == "Crypto Fees" and entry["actor"] == "ann" and entry["evidence"]
    assert (mappings.home / ACCEPTED_LOG).stat().st_mode & 0o777 == 0o600
    with pytest.raises(LedgerlinkError, match="nothing to add"):
        accept(mappings, found, ["Crypto Fees"], min_confidence=0.0)


def test_vouchers_keyed_by_hand_with_the_same_text_are_history(warehouse, mappings):
    warehouse.execute(
        "create table marts.fct_gl_journal_lines as select 'Crypto fees' as voucher_text, "
        "'6600' as account_number, 100.00 as debit_amount from range(12)"
    )
    (only,) = suggest(mappings, warehouse)
    assert only.row["gl_account"] == "6600"
    assert any("12 Infor voucher lines 'Crypto fees' debited 6600" in e for e in only.evidence)


# --- the commands' one-line errors ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["suggest"], "error: nothing to show yet"),
        (["suggest", "--kind", "client"], "error: no suggestions for 'client' yet: use --kind"),
        (["accept", "Travel"], "error: nothing to show yet"),
    ],
)
def test_the_commands_fail_in_one_line_naming_the_fix(tmp_path: Path, args, message):
    result = CliRunner().invoke(
        app, ["mapping", *args], env={"LEDGERLINK_HOME": str(tmp_path / ".ledgerlink")}
    )
    assert result.exit_code == 1
    assert result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_new_gateway_or_payment_type_gets_the_method_of_similar_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_settings(ledgerlink_home=tmp_path / ".ledgerlink")
    con = duckdb.connect()
    con.execute("create schema sync")
    con.execute("create table sync.sync_rejects (reason_code varchar, reason varchar)")
    reason = 'payment type "{}" / gateway "{}" has no Infor payment method mapping'
    con.executemany(
        "insert into sync.sync_rejects values ('unmapped_payment_method', ?)",
        [[reason.format("Credit Card", "Stripe Connect")], [reason.format("E-Transfer", "")]],
    )
    found = {s.value: s for s in suggest(config, con, "payment_method")}
    assert found["stripe connect"].row == {
        "payment_source": "gateway",
        "source_value": "stripe connect",
        "payment_method": "CC",
        "cash_account": "1100",
    }
    assert found["E-Transfer"].row["payment_source"] == "type"
    assert found["E-Transfer"].row["payment_method"] == "BT"
    assert any("'Bank Transfer'" in line for line in found["E-Transfer"].evidence)


# --- items Infor does not know -------------------------------------------------------------------
@pytest.fixture
def item_warehouse() -> duckdb.DuckDBPyConnection:
    """Two steel chairs in Infor's item master told apart by their model, an adapter already in
    the crosswalk, and FreshBooks lines: one item Infor does not know (SKU FB-9)."""
    con = duckdb.connect()
    con.execute("create schema sync; create schema marts; create schema intermediate")
    con.execute(
        "create table marts.dim_items as select * from (values "
        "('CHA-1003', 'Steel Chair', 'Steel chair, model 1003', true, false),"
        "('CHA-1004', 'Steel Chair', 'Steel chair, model 1004', true, false),"
        "('CHA-1005', 'Steel Chair', 'Steel chair, model 1005', true, true),"
        "('ADA-1000', 'Standard Adapter', 'Standard adapter, model 1000', true, false)"
        ") as t(item_number, item_name, item_description, is_in_infor, is_blocked)"
    )
    con.execute(
        "create table intermediate.int_invoice_lines_mapped as select * from (values "
        "('Chair (steel)', 'FB-9', 'Steel chair, model 1004', 'FB-9', false),"
        "('Chair (steel)', 'FB-9', 'Steel chair, model 1004', 'FB-9', false),"
        "('Adapter', 'FB-1', 'Standard adapter', 'ADA-1000', true)"
        ") as t(item_name, sku, description, m3_item_number, is_known_in_infor)"
    )
    con.execute("create table sync.sync_rejects (reason_code varchar, reason varchar)")
    con.executemany(
        "insert into sync.sync_rejects values ('unknown_item', ?)",
        [['invoice line item "Chair (steel)" not known in Infor']] * 2,
    )
    return con


@pytest.fixture
def item_mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "item_crosswalk.csv").write_text("freshbooks_sku,m3_item_number\nFB-1,ADA-1000\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGERLINK_MAPPINGS_DIR", str(folder))
    return load_settings(ledgerlink_home=tmp_path / ".ledgerlink")


def test_an_unknown_item_gets_the_infor_item_its_description_names(item_warehouse, item_mappings):
    (only,) = suggest(item_mappings, item_warehouse, "item")
    assert only.value == "Chair (steel)" and only.file == "item_crosswalk.csv"
    assert only.row == {"freshbooks_sku": "FB-9", "m3_item_number": "CHA-1004"}  # model 1004
    assert only.evidence[0] == "proposed: CHA-1004 Steel Chair Steel chair, model 1004"
    assert "2 orders wait for the item 'Chair (steel)', which Infor does not know" in only.evidence
    assert "line description: 'Steel chair, model 1004'" in only.evidence
    assert all(a["target"] != "CHA-1005" for a in only.alternatives)  # blocked in Infor
    assert only.alternatives[0]["target"] == "CHA-1003"


def test_lines_with_the_same_description_posted_before_are_item_history(
    item_warehouse, item_mappings
):
    item_warehouse.execute(
        "insert into intermediate.int_invoice_lines_mapped select 'Seat', 'FB-2', "
        "'Steel chair, model 1004', 'CHA-1003', true from range(12)"
    )
    (only,) = suggest(item_mappings, item_warehouse, "item")
    assert only.row["m3_item_number"] == "CHA-1003"
    assert any("posted as Infor item CHA-1003 before: 12 invoice lines 'Seat'" in e
               for e in only.evidence)  # fmt: skip


def test_an_item_whose_sku_the_crosswalk_has_is_left_to_its_row(item_warehouse, item_mappings):
    (item_mappings.mappings_dir / "item_crosswalk.csv").write_text(
        "freshbooks_sku,m3_item_number\nFB-1,ADA-1000\nfb-9,CHA-9999\n"
    )
    assert suggest(item_mappings, item_warehouse, "item") == []


def test_accepting_an_item_adds_its_crosswalk_row_as_suggested(item_warehouse, item_mappings):
    found = suggest(item_mappings, item_warehouse, "item")
    accept(item_mappings, found, ["Chair (steel)"], min_confidence=0.0, actor="ann")
    _, rows = mapping_edits.read_table(item_mappings, "item_crosswalk.csv")
    assert rows == [
        {"freshbooks_sku": "FB-1", "m3_item_number": "ADA-1000"},
        {"freshbooks_sku": "FB-9", "m3_item_number": "CHA-1004"},
    ]
    origins = mapping_edits.read_origins(item_mappings)
    assert mapping_edits.origin_of("item_crosswalk.csv", rows[0], origins) == "person"
    entry = origins["item_crosswalk.csv"]["fb-9"]
    assert entry["origin"] == "suggested" and entry["actor"] == "ann"
    assert entry["note"] == found[0].id


# --- rejections and automatic acceptance ---------------------------------------------------------
def test_a_rejected_suggestion_stays_hidden_until_its_evidence_changes(warehouse, mappings):
    (only,) = suggest(mappings, warehouse)
    reject(mappings, [only], "Crypto Fees", actor="bob", reason="these are bank charges")
    (entry,) = [
        json.loads(line) for line in (mappings.home / REJECTED_LOG).read_text().splitlines()
    ]
    assert entry["actor"] == "bob" and entry["rejected_at"] and entry["value"] == "Crypto Fees"
    assert entry["reason"] == "these are bank charges"
    assert suggest(mappings, warehouse) == []
    # more records waiting is not new evidence
    warehouse.execute(
        "insert into sync.sync_rejects values ('unmapped_expense_category', "
        "'expense category \"Crypto Fees\" has no GL account mapping')"
    )
    assert suggest(mappings, warehouse) == []
    # finance keys vouchers with that text: new evidence, the suggestion is back
    warehouse.execute(
        "create table marts.fct_gl_journal_lines as select 'Crypto fees' as voucher_text, "
        "'6600' as account_number, 100.00 as debit_amount from range(12)"
    )
    (again,) = suggest(mappings, warehouse)
    assert again.value == "Crypto Fees"


def test_nothing_is_accepted_automatically_unless_a_confidence_is_set(
    warehouse, mappings, monkeypatch
):
    found = suggest(mappings, warehouse)
    assert mappings.mapping_auto_accept_confidence is None
    assert auto_accept(mappings, found) == ([], None)
    monkeypatch.setenv("LEDGERLINK_MAPPING_AUTO_ACCEPT_CONFIDENCE", "0.99")
    strict = load_settings(ledgerlink_home=mappings.home)
    assert found[0].confidence < 0.99
    assert auto_accept(strict, found) == ([], None)
    monkeypatch.setenv("LEDGERLINK_MAPPING_AUTO_ACCEPT_CONFIDENCE", str(found[0].confidence))
    (chosen,), path = auto_accept(load_settings(ledgerlink_home=mappings.home), found)
    assert chosen.value == "Crypto Fees" and path is not None
    origins = mapping_edits.read_origins(mappings)
    assert origins["expense_category_gl_accounts.csv"]["crypto fees"]["actor"] == "auto"
