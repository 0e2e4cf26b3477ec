"""FreshBooks' wire format (money and numbers as Decimal strings) and what counts as the same."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerlink.connectors.freshbooks.models import Client, Invoice
from reverse_etl.writers.freshbooks.rules import CENT, ClientFields, InvoiceFields


def money_text(amount: Decimal) -> str:
    """A money amount as FreshBooks writes it: a Decimal string with two decimals."""
    return f"{amount.quantize(CENT):f}"


def number_text(value: Decimal) -> str:
    """A non-money number (qty, tax percent) as a plain Decimal string: "2", "8.25"."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def money(amount: Decimal, code: str | None) -> dict[str, str]:
    return {"amount": money_text(amount)} | ({"code": code} if code else {})


def as_text(value: Any) -> str:
    """A value as FreshBooks compares it: text, trimmed; None is empty."""
    return "" if value is None else str(value).strip()


def line_key(line: Any) -> tuple:
    """What a line says, comparable between a planned line and one read from FreshBooks."""
    return (
        int(line.type or 0),
        as_text(line.name),
        as_text(line.description),
        Decimal(line.qty),
        Decimal(line.unit_cost.amount),
        as_text(line.taxName1),
        Decimal(line.taxAmount1 or 0),
        as_text(line.taxName2),
        Decimal(line.taxAmount2 or 0),
    )


def invoice_differences(invoice: Invoice, planned: InvoiceFields) -> list[str]:
    """The planned fields the FreshBooks invoice does not have (a null customerid, still
    unknown, is not compared)."""
    differences = []
    if planned.customerid is not None and invoice.customerid != planned.customerid:
        differences.append("customerid")
    if invoice.create_date != planned.create_date:
        differences.append("create_date")
    if planned.currency_code and invoice.currency_code != planned.currency_code:
        differences.append("currency_code")
    if planned.notes is not None and as_text(invoice.notes) != as_text(planned.notes):
        differences.append("notes")
    if [line_key(line) for line in invoice.lines] != [line_key(line) for line in planned.lines]:
        differences.append("lines")
    return differences


def client_differences(client: Client, planned: ClientFields) -> list[str]:
    """The planned (non-null) fields the FreshBooks client does not have; e-mail and currency
    compare case-insensitively, as FreshBooks matches them."""
    differences = []
    for name, value in planned.model_dump(exclude_none=True).items():
        have, want = as_text(getattr(client, name, None)), as_text(value)
        if name in ("email", "currency_code"):
            have, want = have.lower(), want.lower()
        if have != want:
            differences.append(name)
    return differences


def invoice_body(planned: InvoiceFields) -> dict[str, Any]:
    code = planned.currency_code
    body: dict[str, Any] = {
        "customerid": planned.customerid,
        "create_date": planned.create_date.isoformat(),
        "invoice_number": planned.invoice_number,
        "lines": [
            {
                "type": line.type,
                "name": line.name,
                "description": line.description,
                "qty": number_text(line.qty),
                "unit_cost": money(line.unit_cost.amount, line.unit_cost.code or code),
                "taxName1": line.taxName1,
                "taxAmount1": number_text(line.taxAmount1),
                "taxName2": line.taxName2,
                "taxAmount2": number_text(line.taxAmount2),
            }
            for line in planned.lines
        ],
    }
    if code:
        body["currency_code"] = code
    if planned.notes is not None:
        body["notes"] = planned.notes
    return body
