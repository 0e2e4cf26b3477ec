"""MMS060MI item balances (MITBAL per location): by warehouse, and new or changed per item.

The sandbox keeps one balance per item and warehouse, on the warehouse's single location; its
change stamp (the `lmts` column) moves when a receipt (PPS001MI) adds to it.
"""

from __future__ import annotations

from sandbox.infor.registry import Call, Record, handles

PROGRAM = "MMS060MI"
LOCATION = "A-01-01"  # the one stock location of each warehouse
APPROVED = "2"  # STAS: status of the stock on hand


def _shaped(balance: Record, item: Record | None) -> Record:
    return {
        **balance,
        "WHSL": LOCATION,
        "STAS": APPROVED,
        "STQM": balance["STQT"],
        "ITDS": (item or {}).get("ITDS", ""),
        "UNMS": (item or {}).get("UNMS", ""),
        "ITTY": (item or {}).get("ITTY", ""),
    }


def _items(call: Call, numbers: list[str]) -> dict[str, Record]:
    if not numbers:
        return {}
    marks = ", ".join("?" for _ in numbers)
    docs = call.store.docs(f"select doc from items where itno in ({marks})", numbers)
    return {doc["ITNO"]: doc for doc in docs}


@handles(PROGRAM, "LstBalID")
def list_by_warehouse(call: Call) -> list[Record]:
    whlo = call.get("WHLO")
    if whlo not in call.tenant.warehouses:
        raise call.not_found("WHLO")
    balances = call.store.docs(
        "select doc from item_balances where whlo = ? and itno >= ? order by itno limit ?",
        (whlo, call.get("ITNO"), call.sql_limit),
    )
    items = _items(call, [b["ITNO"] for b in balances])
    return [_shaped(b, items.get(b["ITNO"])) for b in balances]


@handles(PROGRAM, "LstNewItemBal")
def list_new_balances(call: Call) -> list[Record]:
    item = call.store.doc("select doc from items where itno = ?", (call.get("ITNO"),))
    if item is None:
        raise call.not_found("ITNO")
    balances = call.store.docs(
        "select doc from item_balances where itno = ? and lmts >= ? order by whlo limit ?",
        (item["ITNO"], int(call.get("LMTS") or 0), call.sql_limit),
    )
    return [_shaped(b, item) for b in balances]
