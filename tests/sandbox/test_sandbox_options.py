"""Sandbox options and profiles, and the worlds they generate (no server needed)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from sandbox.generator import REGION_TAXES, World, sale_tax
from sandbox.infor.tenant import CODE_SETS
from sandbox.options import PROFILES, TENANTS, SandboxOptions, sandbox_options


def test_the_default_profile_is_the_default_world() -> None:
    assert PROFILES["default"] == SandboxOptions()
    assert SandboxOptions().differences() == {}
    assert World().options == SandboxOptions()


def test_profiles_and_overrides() -> None:
    assert sandbox_options("no-shop").systems == ("freshbooks", "infor")
    real = sandbox_options("real-world")
    assert (real.systems, real.history_years, real.m3_wording, real.tenant, real.taxed) == (
        ("freshbooks", "infor"),
        5,
        "reference",
        "other",
        True,
    )
    assert real.is_empty("freshbooks.credit_notes") and real.is_empty("infor.suppliers")
    assert real.receipt_text != "statement"
    assert sandbox_options("slow").latency_ms == 50
    # A given option overrides the profile; one left at None keeps the profile's value.
    mixed = sandbox_options("real-world", tenant="default", history_years=None, latency_ms=5)
    assert (mixed.profile, mixed.tenant, mixed.history_years, mixed.latency_ms) == (
        "real-world",
        "default",
        5,
        5,
    )


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"systems": ("freshbooks", "erp")}, "unknown system erp"),
        ({"systems": ()}, "systems is empty"),
        ({"empty": ("freshbooks.estimates",)}, "unknown entity 'freshbooks.estimates'"),
        ({"null_fields": ("freshbooks.clients.email",)}, "unknown optional field"),
        ({"m3_wording": "polite"}, "m3_wording 'polite' is unknown"),
        ({"tenant": "acme"}, "tenant 'acme' is unknown"),
        ({"history_years": 0}, "history_years must be 1 or more"),
        ({"unsupported": ("infor.MWS411MI/LstDelLnByOrd:500",)}, "infor answers 501 or 404"),
        ({"unsupported": ("freshbooks.estimates",)}, "FreshBooks entities are"),
        ({"taxed": True, "null_fields": ("line-taxes",)}, "taxed invoices need the line tax"),
    ],
)
def test_bad_options_are_refused_with_the_reason(overrides: dict, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        sandbox_options(**overrides)
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        sandbox_options("fast")


def test_every_tenant_the_options_name_has_its_codes() -> None:
    assert tuple(CODE_SETS) == TENANTS
    for tenant in CODE_SETS.values():
        # VTCD is a number(2) input in the contract; every region of the world has a code.
        assert all(code.isdigit() and len(code) <= 2 for code in tenant.vat_codes)
        assert set(tenant.region_vat_codes) == set(REGION_TAXES)


def test_an_empty_entity_empties_what_needs_it() -> None:
    options = SandboxOptions(empty=("freshbooks.clients", "infor.customer_invoices"))
    assert options.emptied == {
        "freshbooks.clients",
        "freshbooks.invoices",
        "freshbooks.payments",
        "freshbooks.credit_notes",
        "infor.customer_invoices",
        "infor.ar_open_items",
    }


def test_named_field_sets_expand_and_unsupported_entries_carry_a_status() -> None:
    options = SandboxOptions(
        null_fields=("clients", "freshbooks.invoices.po_number"),
        unsupported=("freshbooks.credit_notes", "freshbooks.expenses:403", "infor.OIS350MI/X"),
    )
    assert options.nulls("freshbooks.clients") >= {"company_size", "vat_number"}
    assert options.nulls("freshbooks.invoices") == {"po_number"}
    assert options.unsupported_in("freshbooks") == {"credit_notes": 404, "expenses": 403}
    assert options.unsupported_in("infor") == {"OIS350MI/X": 501}


def test_options_survive_the_trip_to_the_serve_process() -> None:
    options = sandbox_options("real-world", unsupported=("freshbooks.taxes:403",))
    assert SandboxOptions.from_dict(options.to_dict()) == options
    with pytest.raises(ValueError, match="unknown sandbox options: colour"):
        SandboxOptions.from_dict({"colour": "blue"})


def test_the_world_stamp_follows_the_data_not_the_answers() -> None:
    base = SandboxOptions()
    assert SandboxOptions(latency_ms=20, m3_wording="reference").stamp() == base.stamp()
    assert SandboxOptions(history_years=2).stamp() != base.stamp()
    assert SandboxOptions(tenant="other").stamp() != base.stamp()


def test_history_spans_the_years_asked_for() -> None:
    one, five = World(scale=0.1), World(scale=0.1, options=SandboxOptions(history_years=5))
    assert five.invoice_count == 5 * one.invoice_count
    first = five.sale(0).issued_on
    assert first <= (five.anchor - timedelta(days=4 * 365)).date()
    old = sum(1 for sale in five.iter_sales() if (five.anchor.date() - sale.issued_on).days > 730)
    assert old > five.invoice_count / 2
    # Clients sign up before their first invoice, however far back the history goes.
    assert all(
        five.companies[sale.company_index].created_at.date() <= sale.issued_on
        for sale in five.iter_sales()
    )


def test_taxed_lines_follow_the_client_region_and_the_product() -> None:
    # Seed 47 has clients in every kind of jurisdiction: HST, GST + PST, state tax, none.
    world = World(seed=47, scale=0.1, options=SandboxOptions(taxed=True))
    taxable = {p.sku: p.taxable for p in world.products}
    names = set()
    for sale in world.iter_sales():
        region = world.companies[sale.company_index].region
        for line in sale.lines:
            assert line.taxes == (REGION_TAXES[region] if taxable[line.sku] else ())
            names.update(tax.name for tax in line.taxes)
        assert sale.total == sale.subtotal + sale_tax(sale.lines)
        assert all(p.amount <= sale.total for p in sale.payments)
    assert {"GST", "PST", "HST", "Sales Tax"} <= names and len(names) >= 6
    assert {tax.name for tax in world.taxes} >= names


def test_without_taxes_no_line_is_taxed() -> None:
    for options in (
        SandboxOptions(empty=("freshbooks.taxes",)),
        SandboxOptions(null_fields=("line-taxes",)),
    ):
        world = World(scale=0.1, options=options)
        assert all(not line.taxes for sale in world.iter_sales() for line in sale.lines)
        assert all(sale.total == sale.subtotal for sale in world.iter_sales())
    assert World(scale=0.1, options=SandboxOptions(empty=("freshbooks.taxes",))).taxes == ()
    assert all(
        e.tax_percent == Decimal(0)
        for e in World(
            scale=0.1, options=SandboxOptions(empty=("freshbooks.taxes",))
        ).iter_expenses()
    )
