"""Customer orders in the store (OOHEAD/OOLINE-like): heads, lines and their totals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sandbox.infor.company import vat_rate
from sandbox.infor.store import Stamp, Store, touch
from sandbox.infor.values import CENT, amount, parse_decimal


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


def totals(lines: list[dict[str, str]], vat_code: str) -> dict[str, str]:
    """Head amounts from the lines: net, VAT at the order's VAT code, and the total."""
    net = sum((parse_decimal(line["NLAM"]) for line in lines), Decimal("0"))
    vat = (net * vat_rate(vat_code) / 100).quantize(CENT)
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
