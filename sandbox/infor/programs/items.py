"""MMS200MI items (MITMAS) and their warehouse balances (MITBAL)."""

from __future__ import annotations

from sandbox.infor.registry import Call, Record, handles

PROGRAM = "MMS200MI"


def _item(call: Call) -> Record:
    item = call.store.doc("select doc from items where itno = ?", (call.get("ITNO"),))
    if item is None:
        raise call.not_found("ITNO")
    return item


@handles(PROGRAM, "GetItmBasic", "GetItmPrice")
def get_item(call: Call) -> list[Record]:
    item = _item(call)
    return [{**item, "SAPR": item.get("_SAPR", "")}]


@handles(PROGRAM, "GetItmWhsBal")
def get_balance(call: Call) -> list[Record]:
    _item(call)
    balance = call.store.doc(
        "select doc from item_balances where whlo = ? and itno = ?",
        (call.get("WHLO"), call.get("ITNO")),
    )
    if balance is None:
        raise call.not_found("WHLO")
    return [balance]


@handles(PROGRAM, "LstItmByItm")
def list_by_item(call: Call) -> list[Record]:
    return call.store.docs(
        "select doc from items where itno >= ? order by itno limit ?",
        (call.get("ITNO"), call.sql_limit),
    )


@handles(PROGRAM, "LstItmByChgDate")
def list_by_change_date(call: Call) -> list[Record]:
    return call.store.docs(
        "select doc from items where lmdt between ? and ? order by lmdt, itno limit ?",
        (call.date("FLMD", "00000000"), call.date("TLMD", "99999999"), call.sql_limit),
    )
