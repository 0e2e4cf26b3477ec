"""Bills, their lines and bill vendors: stored fields, line amounts and taxes, what is owed.

A bill's `amount` is its lines before tax, `tax_amount` their taxes (each line's own, rounded on
the line, as bill lines show `tax_amount1/2`), `total_amount` the two together; `paid` is what its
live bill payments add up to and `outstanding` the rest. Used by the API writes and the seed
alike, so a seeded bill and a created one are the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from sandbox.freshbooks import errors
from sandbox.freshbooks.money import HUNDRED, ZERO, cents, line_amount, money, number_text
from sandbox.freshbooks.validation import to_decimal, to_int, to_money, to_text

UNPAID, PARTIAL, PAID = "unpaid", "partial", "paid"


def vendor_data(values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "vendor_name": "",
        "currency_code": "USD",
        "is_1099": False,
        "language": "en",
        "account_number": None,
        "phone": None,
        "website": None,
        **dict.fromkeys(("street", "street2", "city", "province", "postal_code", "country"), ""),
        "primary_contact_email": None,
        "primary_contact_first_name": None,
        "primary_contact_last_name": None,
        "note": None,
        "tax_defaults": [],
    }
    data.update(values)
    return data


def make_line(
    list_index: int,
    *,
    categoryid: int,
    category: str,
    description: str,
    quantity: Decimal,
    unit_cost: Decimal,
    currency: str,
    taxes: tuple[tuple[str, Decimal], ...] = (),
) -> dict[str, Any]:
    """A stored bill line; `taxes` are up to two (name, percent) pairs."""
    amount = line_amount(quantity, unit_cost)
    line: dict[str, Any] = {
        "categoryid": categoryid,
        "category": category,
        "list_index": list_index,
        "description": description,
        "quantity": number_text(quantity),
        "unit_cost": money(unit_cost, currency),
        "amount": money(amount, currency),
    }
    tax_total = ZERO
    for n in (1, 2):
        name, percent = taxes[n - 1] if len(taxes) >= n else (None, None)
        tax = cents(amount * percent / HUNDRED) if percent is not None else None
        line[f"tax_name{n}"] = name
        line[f"tax_percent{n}"] = number_text(percent) if percent is not None else None
        line[f"tax_authorityid{n}"] = None
        line[f"tax_amount{n}"] = money(tax, currency) if tax is not None else None
        tax_total += tax or ZERO
    line["total_amount"] = money(amount + tax_total, currency)
    return line


def parse_lines(
    raw_lines: Any, currency: str, category_of: Callable[[int], str]
) -> list[dict[str, Any]]:
    """Lines of a request body; `category_of` names a live category or raises the API's error."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise errors.invalid("bill", "lines", "A bill needs at least one line.", raw_lines)
    lines = []
    for index, raw in enumerate(raw_lines, start=1):
        if not isinstance(raw, dict):
            raise errors.invalid("bill_line", "lines", "Each line must be an object.", raw)
        for name in ("categoryid", "unit_cost"):
            if raw.get(name) in (None, ""):
                raise errors.required("bill_line", name)
        categoryid = to_int("bill_line", "categoryid", raw["categoryid"])
        taxes = []
        for n in (1, 2):
            name = to_text("bill_line", f"tax_name{n}", raw.get(f"tax_name{n}")) or ""
            percent_raw = raw.get(f"tax_percent{n}")
            if name or percent_raw not in (None, ""):
                percent = to_decimal("bill_line", f"tax_percent{n}", percent_raw or 0)
                taxes.append((name, percent))
        lines.append(
            make_line(
                index,
                categoryid=categoryid,
                category=category_of(categoryid),
                description=to_text("bill_line", "description", raw.get("description")) or "",
                quantity=to_decimal("bill_line", "quantity", raw.get("quantity", 1)),
                unit_cost=Decimal(to_money("bill_line", "unit_cost", raw["unit_cost"])["amount"]),
                currency=currency,
                taxes=tuple(taxes),
            )
        )
    return lines


def _sum(lines: Iterable[dict[str, Any]], key: str) -> Decimal:
    return sum((Decimal(line[key]["amount"]) for line in lines if line.get(key) is not None), ZERO)


def apply_totals(data: dict[str, Any], paid: Decimal) -> None:
    """A bill's amounts and status from its stored lines and what its payments add up to."""
    currency, lines = data["currency_code"], data["lines"]
    subtotal = _sum(lines, "amount")
    tax = _sum(lines, "tax_amount1") + _sum(lines, "tax_amount2")
    total = subtotal + tax
    outstanding = total - paid
    data.update(
        amount=money(subtotal, currency),
        tax_amount=money(tax, currency),
        total_amount=money(total, currency),
        paid=money(paid, currency),
        outstanding=money(outstanding, currency),
        status=PAID if outstanding <= 0 and total > 0 else PARTIAL if paid > 0 else UNPAID,
    )


def new_bill_data(values: dict[str, Any], vendor: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "bill_number": None,
        "vendorid": values["vendorid"],
        "issue_date": values["issue_date"],
        "due_offset_days": 0,
        "currency_code": vendor["currency_code"],
        "language": vendor.get("language") or "en",
        "overall_category": None,
        "overall_description": None,
        "attachment": None,
        "lines": [],
    }
    data.update({k: v for k, v in values.items() if k != "vis_state"})
    return data


def payment_data(values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"billid": 0, "note": "", "payment_type": "Check"}
    data.update({k: v for k, v in values.items() if k != "vis_state"})
    return data
