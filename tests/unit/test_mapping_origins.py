"""Who set each mapping row (person, rule, suggested), kept beside the mapping files, and the
rule that a suggestion only ever adds a row for a key the table does not have."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlink.dbt import SEEDS_DIR
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import load_settings
from reverse_etl import mapping_edits
from reverse_etl.mapping_suggestions import EXPENSE_CATEGORY, KINDS, Suggestion, accept

FILE = KINDS[EXPENSE_CATEGORY]
COLUMNS = ["expense_category", "gl_account", "offset_account"]


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "mappings"
    folder.mkdir()
    for name in (FILE, "client_type_rules.csv"):
        shutil.copy(SEEDS_DIR / name, folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGERLINK_MAPPINGS_DIR", str(folder))
    return load_settings(ledgerlink_home=tmp_path / ".ledgerlink")


def test_rows_no_one_recorded_have_their_tables_origin(deployment):
    origins = mapping_edits.read_origins(deployment)
    assert origins == {}
    _, rows = mapping_edits.read_table(deployment, FILE)
    assert mapping_edits.origin_of(FILE, rows[0], origins) == "person"
    _, rules = mapping_edits.read_table(deployment, "client_type_rules.csv")
    assert mapping_edits.origin_of("client_type_rules.csv", rules[0], origins) == "rule"


def test_a_save_records_who_added_or_changed_a_row_and_forgets_a_removed_one(deployment):
    _, rows = mapping_edits.read_table(deployment, FILE)
    rows[0] = rows[0] | {"gl_account": "6999"}
    rows.append({"expense_category": "Bank Fees", "gl_account": "6800", "offset_account": "2000"})
    mapping_edits.save_table(deployment, FILE, COLUMNS, rows, actor="ann")
    origins = mapping_edits.read_origins(deployment)[FILE]
    assert set(origins) == {rows[0]["expense_category"].lower(), "bank fees"}
    assert origins["bank fees"]["origin"] == "person" and origins["bank fees"]["actor"] == "ann"
    assert (deployment.mappings_dir / mapping_edits.ORIGINS_FILE).exists()
    mapping_edits.save_table(deployment, FILE, COLUMNS, rows[:-1], actor="ann")
    assert "bank fees" not in mapping_edits.read_origins(deployment)[FILE]
    with pytest.raises(ValueError, match="origin must be one of"):
        mapping_edits.save_table(deployment, FILE, COLUMNS, rows, origin="machine")


def test_a_broken_origins_file_is_named_with_the_fix(deployment):
    (deployment.mappings_dir / mapping_edits.ORIGINS_FILE).write_text("{not json")
    with pytest.raises(LedgerlinkError, match=r"mapping_origins\.json is not valid JSON.*delete"):
        mapping_edits.read_origins(deployment)


names = st.text(alphabet="abcAB &-", min_size=1, max_size=6).map(str.strip).filter(bool)
accounts = st.sampled_from(["6000", "6300", "6800"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kept=st.lists(st.tuples(names, accounts, st.sampled_from(["person", "rule"])), max_size=5),
    offered=st.lists(st.tuples(names, accounts), min_size=1, max_size=5),
)
def test_accepting_suggestions_never_changes_a_row_a_person_or_rule_set(deployment, kept, offered):
    rows: list[dict[str, str]] = []
    for name, account, origin in kept:
        if name.lower() in {r["expense_category"].lower() for r in rows}:
            continue
        rows.append({"expense_category": name, "gl_account": account, "offset_account": "2000"})
        mapping_edits.save_table(deployment, FILE, COLUMNS, rows, origin=origin, actor="ann")
    if not rows:
        mapping_edits.save_table(deployment, FILE, COLUMNS, [])
    before = mapping_edits.read_table(deployment, FILE)[1]
    origins_before = mapping_edits.read_origins(deployment).get(FILE, {})
    suggestions = [
        Suggestion(
            id=f"s{i}",
            kind=EXPENSE_CATEGORY,
            file=FILE,
            value=name,
            row={"expense_category": name, "gl_account": account, "offset_account": "2300"},
            confidence=0.9,
            evidence=["proposed"],
            alternatives=[],
            blocked_records=1,
        )
        for i, (name, account) in enumerate(offered)
    ]
    try:
        accept(deployment, suggestions, [s.id for s in suggestions], min_confidence=0.0)
    except LedgerlinkError as exc:
        assert "nothing to add" in str(exc)
    after = mapping_edits.read_table(deployment, FILE)[1]
    origins_after = mapping_edits.read_origins(deployment).get(FILE, {})
    assert after[: len(before)] == before  # every earlier row as it was
    for key, entry in origins_before.items():
        assert origins_after[key] == entry  # and who set it
    taken = {r["expense_category"].lower() for r in before}
    for row in after[len(before) :]:
        assert row["expense_category"].lower() not in taken
        assert origins_after[row["expense_category"].lower()]["origin"] == "suggested"
