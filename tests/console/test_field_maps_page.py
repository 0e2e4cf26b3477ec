"""The field maps page: an operator adds, changes and removes a field map through the form; it
is checked, written to the declaration and dbt's copy, and kept in ops.field_map_edits; a bad
one is refused with one line and nothing written; a POST without the CSRF token or from a
read-only user is refused. The console runs for real; the declaration and dbt's copy are
copies in the test's folder (the project's own files stay as they are)."""

from __future__ import annotations

import json
import os

import duckdb
import pytest
from console_support import console_at, csrf_of, logged_in

from ledgerlink.console import auth
from ledgerlink.ops_schema import ensure_ops_schema
from ledgerlink.settings import load_settings
from ledgerlink.warehouse import connect, writer_lock
from reverse_etl import field_maps


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_")):
            monkeypatch.delenv(key)
    config = load_settings(ledgerlink_home=tmp_path / ".ledgerlink")
    with writer_lock(config, "test"), connect(config, read_only=False) as con:
        ensure_ops_schema(con)
    declaration, macro = tmp_path / "field_maps.yml", tmp_path / "sync_field_maps.sql"
    declaration.write_text(field_maps.FIELD_MAPS_FILE.read_text())
    macro.write_text(field_maps.DBT_MACRO.read_text())
    monkeypatch.setattr(field_maps, "FIELD_MAPS_FILE", declaration)
    monkeypatch.setattr(field_maps, "DBT_MACRO", macro)
    return config


@pytest.fixture
def url(settings):
    with console_at(settings) as address:
        yield address


def form(page: str, **fields: str) -> dict[str, str]:
    return {"csrf": csrf_of(page), "do": "save", "sync": "freshbooks_clients", **fields}


def edits(settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(
            "select sync, field, before, after, edited_by from ops.field_map_edits "
            "order by edited_at"
        ).fetchall()


def test_an_operator_adds_changes_and_removes_a_field_map(url, settings):
    client = logged_in(url, settings)
    page = client.get("/field-maps")
    assert page.status_code == 200 and 'name="kind"' in page.text
    saved = client.post(
        "/field-maps",
        data=form(page.text, field="p_country", kind="lookup",
                  p_seed="currencies", p_key="currency_code", p_value="country_code",
                  p_column="currency_code"),
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    shown = client.get("/field-maps").text
    assert "saved to" in shown and "ledgerlink transform" in shown
    (found,) = field_maps.load_field_maps()
    assert (found.sync, found.field, found.kind) == ("freshbooks_clients", "p_country", "lookup")
    assert "currencies" in field_maps.DBT_MACRO.read_text()
    assert field_maps.DBT_MACRO.read_text() == field_maps.dbt_macro()

    changed = client.post(
        "/field-maps", data=form(shown, field="p_country", kind="constant", p_value="O'Neil")
    )
    assert changed.status_code == 303
    (found,) = field_maps.load_field_maps()
    assert found.parameters == {"value": "O'Neil"}
    assert "'O''Neil'" in field_maps.DBT_MACRO.read_text()

    page = client.get("/field-maps").text
    assert "field map:" in page and "constant" in page
    removed = client.post("/field-maps", data=form(page, field="p_country", do="remove"))
    assert removed.status_code == 303
    assert field_maps.load_field_maps() == []

    history = edits(settings)
    assert [(s, f, who) for s, f, _, _, who in history] == [("freshbooks_clients", "p_country",
                                                             "token")] * 3  # fmt: skip
    assert history[0][2] is None and json.loads(history[0][3])["lookup"]["seed"] == "currencies"
    assert json.loads(history[1][2])["lookup"] and json.loads(history[1][3])["constant"]
    assert json.loads(history[2][2])["constant"] == {"value": "O'Neil"} and history[2][3] is None


def test_a_bad_field_map_is_refused_with_one_line_and_nothing_written(url, settings):
    client = logged_in(url, settings)
    page = client.get("/field-maps").text
    before = field_maps.FIELD_MAPS_FILE.read_text(), field_maps.DBT_MACRO.read_text()
    answer = client.post(
        "/field-maps",
        data=form(page, field="p_country", kind="lookup", p_seed="countries",
                  p_key="code", p_value="name", p_column="currency_code"),
    )  # fmt: skip
    assert answer.status_code == 422
    assert (
        "Not saved:</strong> field_maps.yml: sync freshbooks_clients, field p_country: no seed "
        "&#39;countries&#39; in dbt_project/seeds; name one of" in answer.text
    )
    split = client.post(
        "/field-maps", data=form(page, field="fname", kind="split", p_column="lname")
    )
    assert split.status_code == 422 and "split missing separator, part" in split.text
    assert (field_maps.FIELD_MAPS_FILE.read_text(), field_maps.DBT_MACRO.read_text()) == before
    assert edits(settings) == []


def test_without_the_csrf_token_or_as_read_only_nothing_is_saved(url, settings):
    client = logged_in(url, settings)
    entry = {"do": "save", "sync": "freshbooks_clients", "field": "fname", "kind": "constant",
             "p_value": "x"}  # fmt: skip
    assert client.post("/field-maps", data=entry).status_code == 403
    assert client.post("/field-maps", data={**entry, "csrf": "forged"}).status_code == 403

    auth.add_user(auth.users_file(settings.home), "ann", "read-only", "a long enough secret")
    reader = logged_in(url, settings, "ann", "a long enough secret")
    page = reader.get("/field-maps")
    assert page.status_code == 200 and 'name="kind"' not in page.text  # no form to fill
    refused = reader.post("/field-maps", data={**entry, "csrf": csrf_of(page.text)})
    assert refused.status_code == 403 and "read-only" in refused.text
    assert field_maps.load_field_maps() == [] and edits(settings) == []
