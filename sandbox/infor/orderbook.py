"""Customer orders in the store (OOHEAD/OOLINE-like): heads, lines and their totals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sandbox.infor.store import Stamp, Store, touch
from sandbox.infor.tenant import Tenant
from sandbox.infor.values import amount, parse_decimal


@dataclass
class Order:
    batch_no: str
    head: dict[str, str]
    lines: list[dict[str, str]]

    @property
    def orno(self) -> str:
        return self.head.get("ORNO", "")


def _load(store: Store, where: str, value: str) -> Order | None:
    row = store.db.one(f"select batch_no, doc from orders where {where} = ?", (value,))
    if row is None:
        return None
    lines = store.docs(
        "select doc from order_lines where batch_no = ? order by ponr, posx", (row["batch_no"],)
    )
    return Order(row["batch_no"], json.loads(row["doc"]), lines)


def by_order_number(store: Store, orno: str) -> Order | None:
    return _load(store, "orno", orno)


def by_batch_number(store: Store, batch_no: str) -> Order | None:
    return _load(store, "batch_no", batch_no)


def line_vat_code(tenant: Tenant, customer_code: str, item: dict[str, str], exempt: bool) -> str:
    """An order line's VAT code: exempt under a tax exemption contract (TECN), else the item's
    sales code (VTCS), else what the tenant gives a line without one: the customer's or none."""
    if exempt:
        return tenant.exempt_vat_code
    if item.get("VTCS"):
        return item["VTCS"]
    return customer_code if tenant.line_tax == "customer" else ""


def vat_by_code(lines: list[dict[str, str]]) -> dict[str, Decimal]:
    """Net amount per VAT code: each code's VAT is figured on its lines' sum."""
    bases: dict[str, Decimal] = {}
    for line in lines:
        code = line.get("VTCD", "")
        bases[code] = bases.get(code, Decimal("0")) + parse_decimal(line["NLAM"])
    return bases


def totals(lines: list[dict[str, str]], tenant: Tenant) -> dict[str, str]:
    """Head amounts from the lines: net, VAT per the lines' VAT codes, and the total."""
    bases = vat_by_code(lines)
    net = sum(bases.values(), Decimal("0"))
    vat = sum((tenant.vat(code).vat(base) for code, base in bases.items()), Decimal("0"))
    gross = net + vat
    return {
        "NTAM": amount(net),
        "ORVA": amount(net),
        "BRAM": amount(net),
        "ONET": amount(net),
        "VTAM": amount(vat),
        "TOAM": amount(gross),
        "TOPY": amount(gross),
        "ODAM": "0.00",
        "ROAM": "0.00",
    }


def gross_and_vat(head: dict[str, str]) -> tuple[Decimal, Decimal, Decimal]:
    return parse_decimal(head["NTAM"]), parse_decimal(head["VTAM"]), parse_decimal(head["TOAM"])


def save(store: Store, order: Order, stamp: Stamp, user: str, **columns: object) -> None:
    """Write head and lines back, stamping both (LMTS follows the head)."""
    touch(order.head, stamp, user)
    store.save("orders", {"batch_no": order.batch_no}, order.head, lmts=stamp.lmts, **columns)
    for line in order.lines:
        store.save(
            "order_lines",
            {"batch_no": order.batch_no, "ponr": int(line["PONR"]), "posx": int(line["POSX"])},
            line,
        )


def set_status(order: Order, status: str) -> None:
    order.head["ORSL"] = order.head["ORST"] = order.head["STAT"] = status
    for line in order.lines:
        line["ORST"] = status
