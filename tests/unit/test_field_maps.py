"""Field maps: each transformation's SQL, and the checks that refuse an override the project
cannot apply with one line naming the file, the sync, the field and the fix."""

from __future__ import annotations

import json
import re

import duckdb
import jinja2
import pytest

from reverse_etl import field_maps
from reverse_etl.definitions import load_syncs
from reverse_etl.field_maps import FieldMapError, check_all, check_entry

SYNCS = load_syncs()
PLAN = {
    "plan_freshbooks__clients": [
        *("email", "fname", "lname", "organization", "currency_code"),
        *("p_country", "p_street", "p_street2", "source_system"),
    ]
}


def override(**kind: object):
    return check_entry({"sync": "freshbooks_clients", "field": "p_street2", **kind}, SYNCS, PLAN)


def evaluate(sql: str) -> object:
    """The expression over one plan row (and a small currencies seed for a lookup)."""
    con = duckdb.connect()
    con.execute(
        "create table plan_row as select 'ann@example.com' as email, 'Ann' as fname, "
        "'O''Hara' as lname, 'CAD' as currency_code, '12 Main St, Suite 4' as p_street, "
        "'2.50' as source_system, 'US' as p_street2"
    )
    con.execute("create table seed as select 'CAD' as currency_code, 'CA' as country_code")
    return con.execute(f"select {sql.replace('@seed@', 'seed')} from plan_row").fetchone()[0]


@pytest.mark.parametrize(
    ("kind", "sql", "value"),
    [
        ({"rename": {"column": "fname"}}, 'plan_row."fname"', "Ann"),
        (
            {"lookup": {"seed": "currencies", "key": "currency_code", "value": "country_code",
                        "column": "currency_code"}},
            '(select cast(lookup."country_code" as varchar) from @seed@ as lookup where '
            'cast(lookup."currency_code" as varchar) = cast(plan_row."currency_code" as varchar) '
            "limit 1)",
            "CA",
        ),
        (
            {"concat": {"columns": ["fname", "lname"], "separator": " "}},
            "nullif(concat_ws(' ', cast(plan_row.\"fname\" as varchar), "
            "cast(plan_row.\"lname\" as varchar)), '')",
            "Ann O'Hara",
        ),
        (
            {"split": {"column": "p_street", "separator": ", ", "part": 2}},
            "nullif(split_part(cast(plan_row.\"p_street\" as varchar), ', ', 2), '')",
            "Suite 4",
        ),
        ({"constant": {"value": "it's'); drop table x; --"}},
         "'it''s''); drop table x; --'", "it's'); drop table x; --"),
        (
            {"conditional": {"column": "currency_code", "equals": "CAD", "then": "Canada"}},
            "case when cast(plan_row.\"currency_code\" as varchar) = 'CAD' then 'Canada' "
            "else cast(plan_row.\"p_street2\" as varchar) end",
            "Canada",
        ),
        (
            {"conditional": {"column": "currency_code", "equals": "USD", "then": "x",
                             "else": "other"}},
            "case when cast(plan_row.\"currency_code\" as varchar) = 'USD' then 'x' "
            "else 'other' end",
            "other",
        ),
        ({"cast": {"column": "source_system", "type": "decimal"}},
         'cast(plan_row."source_system" as decimal(18, 6))', None),
    ],
    ids=["rename", "lookup", "concat", "split", "constant-with-quotes", "conditional-keeps",
         "conditional-else", "cast"],
)  # fmt: skip
def test_each_transformation_renders_safe_sql(kind, sql, value):
    rendered = override(**kind).sql()
    assert rendered == sql
    result = evaluate(rendered)
    if "cast" in kind:
        assert str(result) == "2.500000"  # a decimal stays a decimal
    else:
        assert result == value


def test_a_constant_cannot_open_a_jinja_tag_in_dbts_copy():
    found = override(constant={"value": "{{ ref('x') }} {% do %} {# #}"})
    macro = field_maps.dbt_macro([found])
    data = macro.split("{{ return(", 1)[1].rsplit(") }}", 1)[0]
    assert not any(tag in data for tag in ("{{", "{%", "{#", "}}", "%}", "#}"))
    # Jinja reads the escapes back: dbt sees the constant as typed
    read = jinja2.Environment().from_string("{{ (" + data + ") | tojson }}").render()
    assert json.loads(read) == field_maps.for_dbt([found])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"sync": "nope", "field": "email", "rename": {"column": "fname"}},
         "field_maps.yml: sync nope, field email: no such sync"),
        ({"sync": "freshbooks_clients", "field": "ITNO", "rename": {"column": "fname"}},
         "field ITNO: not a payload column"),
        ({"sync": "freshbooks_invoices", "field": "lines", "rename": {"column": "x"}},
         "not a payload column"),
        ({"sync": "freshbooks_clients", "field": "email", "constant": {"value": "x"}},
         "email is the sync's match key"),
        ({"sync": "freshbooks_clients", "field": "fname", "uppercase": {}},
         "exactly one transformation of rename, lookup"),
        ({"sync": "freshbooks_clients", "field": "fname", "rename": {"column": "nickname"}},
         "the plan model plan_freshbooks__clients has no column nickname; use one of email"),
        ({"sync": "freshbooks_clients", "field": "fname", "rename": {"column": "a; drop"}},
         "is not a plain name"),
        ({"sync": "freshbooks_clients", "field": "p_country",
          "lookup": {"seed": "countries", "key": "a", "value": "b", "column": "currency_code"}},
         "no seed 'countries' in dbt_project/seeds; name one of client_type_rules"),
        ({"sync": "freshbooks_clients", "field": "p_country",
          "lookup": {"seed": "currencies", "key": "code", "value": "country_code",
                     "column": "currency_code"}},
         "the seed currencies has no column 'code'; its columns are currency_code"),
        ({"sync": "freshbooks_clients", "field": "fname", "cast": {"type": "money"}},
         "type 'money' is not one of string"),
        ({"sync": "freshbooks_clients", "field": "fname",
          "split": {"column": "lname", "separator": " ", "part": 0}}, "part is a whole number"),
        ({"sync": "freshbooks_clients", "field": "fname", "concat": {"columns": ["lname"]}},
         "concat joins two or more columns"),
        ({"sync": "freshbooks_clients", "field": "fname", "constant": {}},
         "constant missing value; it takes value, type (optional)"),
    ],
    ids=["sync", "field", "json-column", "match-key", "kind", "plan-column", "identifier", "seed",
         "seed-column", "type", "part", "concat", "parameters"],
)  # fmt: skip
def test_an_override_it_cannot_apply_is_refused_with_the_fix(entry, message):
    with pytest.raises(FieldMapError, match=_pattern(message)) as raised:
        check_entry(entry, SYNCS, PLAN)
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith("field_maps.yml: ")


def test_a_field_is_mapped_once():
    entry = {"sync": "freshbooks_clients", "field": "fname", "rename": {"column": "lname"}}
    with pytest.raises(FieldMapError, match="declared twice"):
        check_all([entry, entry], SYNCS)


def test_the_declaration_round_trips_and_dbts_copy_is_current(tmp_path):
    assert field_maps.DBT_MACRO.read_text() == field_maps.dbt_macro(), (
        "dbt's copy of the field maps is stale: run `python -m reverse_etl.field_maps`"
    )
    found = [
        override(constant={"value": "O'Brien", "type": "string"}),
        check_entry(
            {"sync": "freshbooks_clients", "field": "fname", "rename": {"column": "lname"}}, SYNCS
        ),
    ]
    path, macro = tmp_path / "field_maps.yml", tmp_path / "sync_field_maps.sql"
    field_maps.save_field_maps(found, path, macro)
    assert field_maps.load_field_maps(path) == found
    assert macro.read_text() == field_maps.dbt_macro(found)
    assert path.read_text().startswith(field_maps.HEADER)


def _pattern(text: str) -> str:
    return re.escape(text)
