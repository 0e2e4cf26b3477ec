"""Invoice rules shared by the seed and the API: lines, totals, sent and payment states."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.freshbooks.money import (
    ZERO,
    TaxedLine,
    invoice_totals,
    line_amount,
    money,
    number_text,
)

# status numbers and v3 names from the invoices documentation
DRAFT, SENT, PAID, PARTIAL = 1, 2, 4, 8


def make_line(
    invoice_id: int,
    lineid: int,
    *,
    name: str,
    description: str,
    qty: Decimal,
    unit_cost: Decimal,
    currency: str,
    updated: str,
    taxes: tuple[tuple[str, Decimal, str | None], ...] = (),
    line_type: int = 0,
    expenseid: int = 0,
) -> dict[str, Any]:
    """One stored invoice line; `taxes` are up to two (name, percent, number) triples."""
    padded = [*taxes, *[("", ZERO, None)] * (2 - len(taxes))]
    line: dict[str, Any] = {
        "lineid": lineid,
        "invoiceid": invoice_id,
        "taskno": lineid,
        "type": line_type,
        "name": name,
        "description": description,
        "qty": number_text(qty),
        "unit_cost": money(unit_cost, currency),
        "amount": money(line_amount(qty, unit_cost), currency),
        "expenseid": expenseid,
        "updated": updated,
    }
    for n, (tax_name, percent, number) in enumerate(padded[:2], start=1):
        line[f"taxName{n}"] = tax_name
        line[f"taxAmount{n}"] = number_text(percent)  # a percentage, as a string
        line[f"taxNumber{n}"] = number
    return line


def taxed(line: dict[str, Any]) -> TaxedLine:
    taxes = tuple(
        (line[f"taxName{n}"] or "", Decimal(line[f"taxAmount{n}"] or "0")) for n in (1, 2)
    )
    return TaxedLine(Decimal(line["amount"]["amount"]), taxes)


def apply_totals(data: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """Set `amount` and `discount_total` from the lines and the percentage discount."""
    totals = invoice_totals((taxed(line) for line in lines), Decimal(data["discount_value"]))
    code = data["currency_code"]
    data["amount"] = money(totals.amount, code)
    data["discount_total"] = money(totals.discount_total, code)


def mark_sent(data: dict[str, Any]) -> None:
    data["display_status"] = "sent"
    data["sentid"] = 1  # the owner's user id


def is_sent(data: dict[str, Any]) -> bool:
    return data["display_status"] != "draft"


def settle(data: dict[str, Any], paid: Decimal, last_payment_date: str | None) -> None:
    """Recompute paid, outstanding and the status fields from the payments' total."""
    code = data["currency_code"]
    amount = Decimal(data["amount"]["amount"])
    data["paid"] = money(paid, code)
    data["outstanding"] = money(max(amount - paid, ZERO), code)
    data["date_paid"] = None
    if paid > ZERO and paid >= amount:
        data.update(status=PAID, v3_status="paid", payment_status="paid")
        data["date_paid"] = last_payment_date
    elif paid > ZERO:
        data.update(status=PARTIAL, v3_status="partial", payment_status="partial")
    elif is_sent(data):
        data.update(status=SENT, v3_status="sent", payment_status="unpaid")
    else:
        data.update(status=DRAFT, v3_status="draft", payment_status="unpaid")


def new_invoice_data(client: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A draft invoice's stored fields: the client's name and address, then the given values."""
    data: dict[str, Any] = {
        "invoice_number": "",
        "customerid": 0,
        "create_date": "",
        "due_offset_days": 0,
        "currency_code": client.get("currency_code") or "USD",
        "language": client.get("language") or "en",
        "discount_value": "0",
        "description": "",
        "notes": "",
        "terms": None,
        "po_number": None,
        "template": "clean-grouped",
        "sentid": 0,
        "display_status": "draft",
        "uuid": "",
    }
    data.update(client_address(client))
    data.update(values)
    data["amount"] = money(ZERO, data["currency_code"])
    data["discount_total"] = money(ZERO, data["currency_code"])
    settle(data, ZERO, None)
    return data


def client_address(client: dict[str, Any]) -> dict[str, Any]:
    """The client fields an invoice copies when it is created or moved to another client."""
    return {
        "fname": client.get("fname", ""),
        "lname": client.get("lname", ""),
        "organization": client.get("organization", ""),
        "address": "",
        "street": client.get("p_street", ""),
        "street2": client.get("p_street2", ""),
        "city": client.get("p_city", ""),
        "province": client.get("p_province", ""),
        "code": client.get("p_code", ""),
        "country": client.get("p_country", ""),
        "vat_name": client.get("vat_name"),
        "vat_number": client.get("vat_number"),
    }


def paid_total(amounts: list[str]) -> Decimal:
    return sum((Decimal(a) for a in amounts), ZERO)
