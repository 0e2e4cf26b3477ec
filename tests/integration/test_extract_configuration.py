"""Configuration decides what is extracted: the systems connected, the entities switched off."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from ledgerlink.cli import app
from ledgerlink.connectors.freshbooks import FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.errors import ConfigurationError
from ledgerlink.settings import Settings
from pipelines.entities import ENTITIES, check_disabled_entities, enabled_entities, entity_names
from pipelines.extract import SOURCES, extract, sources_to_extract
from pipelines.freshbooks.settings import ENTITY_NAMES as FRESHBOOKS_ENTITIES
from pipelines.infor.settings import ENTITY_NAMES as INFOR_ENTITIES
from pipelines.shop.settings import ENTITY_NAMES as SHOP_ENTITIES


def configured(settings: Settings, **fields: str) -> Settings:
    return settings.model_copy(update=fields)


def off(*names: str) -> dict[str, str]:
    return {"disabled_entities_setting": ",".join(names)}


def schemas_and_tables(settings: Settings) -> dict[str, set[str]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw_freshbooks', 'raw_infor', 'raw_shop') "
            "and table_name not like '_dlt%'"
        ).fetchall()
    found: dict[str, set[str]] = {}
    for schema, table in rows:
        found.setdefault(schema, set()).add(table)
    return found


class Offline:
    """Stands in for an API client: building a source's resources calls nothing."""


def test_each_source_lists_its_entities_and_builds_a_resource_for_each(settings):
    assert entity_names("freshbooks") == FRESHBOOKS_ENTITIES == (
        "clients", "invoices", "payments", "expenses", "expense_categories", "items", "taxes",
        "credit_notes",
    )  # fmt: skip
    assert entity_names("infor") == INFOR_ENTITIES == (
        "customers", "customer_orders", "customer_order_lines", "delivery_lines", "deliveries",
        "customer_invoices", "ar_open_items", "chart_of_accounts", "gl_voucher_lines",
        "suppliers", "items",
    )  # fmt: skip
    assert entity_names("shop") == SHOP_ENTITIES == ("orders", "customers", "products")
    for system, factory in SOURCES.items():
        source = factory(settings, Offline)
        assert tuple(source.resources) == ENTITIES[system]


def test_a_disabled_entity_has_no_resource(settings):
    config = configured(settings, **off("freshbooks.credit_notes", "infor.suppliers"))
    assert "credit_notes" not in SOURCES["freshbooks"](config, Offline).resources
    assert "suppliers" not in SOURCES["infor"](config, Offline).resources
    assert enabled_entities(config, "infor") == tuple(n for n in INFOR_ENTITIES if n != "suppliers")
    assert enabled_entities(config, "shop") == SHOP_ENTITIES


def test_unknown_entity_names_are_one_line_naming_the_setting_and_the_valid_names(settings):
    config = configured(settings, **off("freshbooks.bills", "infor.invoices", "credit_notes"))
    with pytest.raises(ConfigurationError) as caught:
        check_disabled_entities(config)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "LEDGERLINK_DISABLED_ENTITIES names credit_notes, freshbooks.bills, infor.invoices, "
        "which no source has: use system.entity from "
    )
    assert "freshbooks.credit_notes" in message and "infor.customer_invoices" in message
    with pytest.raises(ConfigurationError, match="LEDGERLINK_DISABLED_ENTITIES"):
        extract(config)


def test_an_entity_read_from_one_that_is_off_must_be_off_too(settings):
    config = configured(settings, **off("infor.customer_orders"))
    with pytest.raises(ConfigurationError) as caught:
        check_disabled_entities(config)
    assert str(caught.value) == (
        "LEDGERLINK_DISABLED_ENTITIES turns off infor.customer_orders, which "
        "infor.customer_order_lines, infor.delivery_lines, infor.deliveries are read from: "
        "add infor.customer_order_lines, infor.delivery_lines, infor.deliveries to it, "
        "or keep infor.customer_orders"
    )
    lines_only = configured(settings, **off("infor.delivery_lines"))
    with pytest.raises(ConfigurationError, match=r"infor\.deliveries is read from"):
        check_disabled_entities(lines_only)
    children = "infor.customer_order_lines,infor.delivery_lines,infor.deliveries"
    check_disabled_entities(configured(settings, **off("infor.customer_orders", children)))


def test_the_systems_connected_are_the_sources_loaded(settings):
    assert sources_to_extract(settings) == ["freshbooks", "infor", "shop"]  # the sandbox's shop
    no_shop = configured(settings, shop_api_url="")
    assert sources_to_extract(no_shop) == ["freshbooks", "infor"]
    with pytest.raises(ConfigurationError) as unfilled:
        extract(no_shop, ["shop"])
    assert str(unfilled.value) == (
        "shop is off (SHOP_API_URL or SHOP_ACCESS_TOKEN is empty): fill SHOP_API_URL and "
        "SHOP_ACCESS_TOKEN to extract it, or leave out --source shop"
    )
    pair = configured(settings, systems_setting="freshbooks,infor")
    assert sources_to_extract(pair) == ["freshbooks", "infor"]
    with pytest.raises(ConfigurationError) as named:
        sources_to_extract(pair, ["shop"])
    assert str(named.value) == (
        "shop is off: LEDGERLINK_SYSTEMS=freshbooks,infor leaves it out; add shop to "
        "LEDGERLINK_SYSTEMS to extract it"
    )


def test_a_run_loads_the_connected_systems_without_the_entities_switched_off(settings):
    authorize_headless(settings, FreshBooksTokenManager(settings))
    keep = {"freshbooks": "taxes", "infor": "chart_of_accounts"}
    switched_off = [
        f"{system}.{name}"
        for system in ("freshbooks", "infor")
        for name in ENTITIES[system]
        if name != keep[system]
    ]
    config = configured(settings, systems_setting="freshbooks,infor", **off(*switched_off))
    results = extract(config)
    assert [r.source for r in results] == ["freshbooks", "infor"]
    assert all(r.rows and not r.skipped for r in results)
    assert schemas_and_tables(config) == {
        "raw_freshbooks": {"taxes"},
        "raw_infor": {"chart_of_accounts"},
    }


def test_the_command_says_in_one_line_that_a_source_is_off(settings, monkeypatch):
    monkeypatch.setenv("LEDGERLINK_HOME", str(settings.home))
    monkeypatch.setenv("LEDGERLINK_SYSTEMS", "freshbooks,infor")
    result = CliRunner().invoke(app, ["extract", "--source", "shop", "--quiet"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "error: shop is off: LEDGERLINK_SYSTEMS=freshbooks,infor leaves it out; add shop to "
        "LEDGERLINK_SYSTEMS to extract it"
    )
