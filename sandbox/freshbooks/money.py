"""Exact money: Decimal arithmetic, FreshBooks money objects, invoice totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def cents(value: Decimal) -> Decimal:
    # Same rounding as the world generator (Decimal's default, half-even), so totals agree with
    # what the other emulators derive from the same sale.
    return value.quantize(CENT)


def amount_text(value: Decimal) -> str:
    """A money amount as FreshBooks sends it: a string with two decimals."""
    value = cents(value)
    return "0.00" if value == 0 else str(value)  # never "-0.00"


def number_text(value: Decimal) -> str:
    """A non-money number as FreshBooks sends it (`qty` "4", tax percent "8.25")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def money(value: Decimal, code: str) -> dict[str, str]:
    return {"amount": amount_text(value), "code": code}


def line_amount(qty: Decimal, unit_cost: Decimal) -> Decimal:
    return cents(qty * unit_cost)


@dataclass(frozen=True)
class TaxedLine:
    amount: Decimal
    taxes: tuple[tuple[str, Decimal], ...]  # (tax name, percent) pairs, up to two


@dataclass(frozen=True)
class InvoiceTotals:
    subtotal: Decimal
    discount_total: Decimal  # negative, as FreshBooks reports it
    tax: Decimal
    amount: Decimal


def invoice_totals(lines: Iterable[TaxedLine], discount_percent: Decimal = ZERO) -> InvoiceTotals:
    """Line amounts, less the percentage discount, plus each tax on its discounted base.

    Taxes are summed per (name, percent) before rounding, as one tax line on the invoice.
    Checked against the reference invoice: 20.00 (HST 13%) + 24.00, 10% off -> 41.94.
    """
    subtotal = ZERO
    bases: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        subtotal += line.amount
        for tax in line.taxes:
            if tax[1]:
                bases[tax] = bases.get(tax, ZERO) + line.amount
    keep = (HUNDRED - discount_percent) / HUNDRED
    tax = sum(
        (cents(base * keep * percent / HUNDRED) for (_, percent), base in bases.items()), ZERO
    )
    discount = cents(subtotal * discount_percent / HUNDRED)
    return InvoiceTotals(
        subtotal=cents(subtotal),
        discount_total=-discount,
        tax=cents(tax),
        amount=cents(subtotal - discount + tax),
    )
