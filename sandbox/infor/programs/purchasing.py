"""Purchase orders: PPS370MI batch entry (start, head, lines, finish), PPS200MI reads and
PPS001MI goods receipts.

A receipt adds its quantity to the line's received quantity (RVQA) and to the item's balance in
the receiving warehouse; the line is then part received (75) or received (85), the latter also
when the receipt says the line is done (OEND 1). The head's lowest and highest line statuses
(PUSL, PUST) follow its lines.
"""

from __future__ import annotations

import json
from decimal import Decimal

from sandbox.infor import errors
from sandbox.infor.company import CONO, PO_ENTERED, PO_PART_RECEIVED, PO_RECEIVED
from sandbox.infor.errors import MIError
from sandbox.infor.registry import Call, Record, handles
from sandbox.infor.store import Store, touch
from sandbox.infor.values import amount, parse_decimal, quantity


def po_totals(head: Record, lines: list[Record]) -> None:
    net = sum((parse_decimal(line["LNAM"]) for line in lines), Decimal(0))
    qty = sum((parse_decimal(line["ORQA"]) for line in lines), Decimal(0))
    head.update(NTAM=amount(net), COAM=amount(net), TOQT=quantity(qty), NOLN=str(len(lines)))


def insert_purchase_order(store: Store, head: Record, lines: list[Record]) -> None:
    store.insert("purchase_orders", {"puno": head["PUNO"], "suno": head["SUNO"]}, head)
    for line in lines:
        store.insert("purchase_lines", {"puno": head["PUNO"], "pnli": int(line["PNLI"])}, line)


# --- PPS200MI -------------------------------------------------------------------------------------
def _purchase_order(call: Call) -> Record:
    head = call.store.doc("select doc from purchase_orders where puno = ?", (call.get("PUNO"),))
    if head is None:
        raise call.not_found("PUNO")
    return head


@handles("PPS200MI", "GetHead")
def get_head(call: Call) -> list[Record]:
    return [_purchase_order(call)]


@handles("PPS200MI", "LstLine")
def list_lines(call: Call) -> list[Record]:
    _purchase_order(call)
    return call.store.docs(
        "select doc from purchase_lines where puno = ? order by pnli limit ?",
        (call.get("PUNO"), call.sql_limit),
    )


@handles("PPS200MI", "GetLine")
def get_line(call: Call) -> list[Record]:
    _purchase_order(call)
    line = call.store.doc(
        "select doc from purchase_lines where puno = ? and pnli = ?",
        (call.get("PUNO"), call.integer("PNLI", 1)),
    )
    if line is None:
        raise call.not_found("PNLI")
    return [line]


# --- PPS370MI -------------------------------------------------------------------------------------
def _entry(call: Call) -> Record:
    entry = call.store.doc("select doc from purchase_entries where msgn = ?", (call.get("MSGN"),))
    if entry is None:
        raise call.not_found("MSGN")
    if entry.get("_FINISHED"):
        raise MIError(errors.WRONG_STATUS, f"Entry {entry['MSGN']} is already finished", "MSGN")
    return entry


def _entry_lines(store: Store, msgn: str) -> list[Record]:
    return store.docs("select doc from purchase_entry_lines where msgn = ? order by pnli", (msgn,))


@handles("PPS370MI", "StartEntry")
def start(call: Call) -> list[Record]:
    msgn = str(call.store.next_number("purchase_message", 1))
    call.store.insert(
        "purchase_entries", {"msgn": msgn, "puno": None}, {"MSGN": msgn, "BAOR": call.get("BAOR")}
    )
    return [{"MSGN": msgn}]


@handles("PPS370MI", "AddHead")
def add_head(call: Call) -> list[Record]:
    entry = _entry(call)
    if entry.get("PUNO"):
        raise MIError(
            errors.WRONG_STATUS, f"Entry {entry['MSGN']} already has order {entry['PUNO']}", "MSGN"
        )
    supplier = call.store.doc("select doc from suppliers where suno = ?", (call.get("SUNO"),))
    if supplier is None:
        raise call.not_found("SUNO")
    call.check_codes({name: call.get(name) for name in ("FACI", "WHLO", "CUCD")})
    puno = call.get("PUNO") or str(call.store.next_number("purchase_order", 2000000001))
    if call.store.db.scalar("select 1 from purchase_orders where puno = ?", (puno,)):
        raise errors.duplicate("PUNO", call.label("PUNO"), puno)
    head = {
        **{k: v for k, v in call.fields.items() if k != "MSGN"},
        "CONO": CONO,
        "DIVI": call.tenant.divi,
        "MSGN": entry["MSGN"],
        "PUNO": puno,
        "SUNO": supplier["SUNO"],
        "FACI": call.get("FACI") or call.tenant.faci,
        "WHLO": call.get("WHLO") or call.tenant.whlo,
        "DWDT": call.date("DWDT") or "",
        "PUDT": call.date("PUDT", call.stamp.lmdt) or "",
        "DATE": call.stamp.lmdt,
        "CUCD": call.get("CUCD") or supplier.get("CUCD", "USD"),
        "TEPY": call.get("TEPY") or supplier.get("TEPY", ""),
        "STAT": PO_ENTERED,
        "PUSL": PO_ENTERED,
        "PUST": PO_ENTERED,
    }
    touch(head, call.stamp, new=True)
    call.store.save("purchase_entries", {"msgn": entry["MSGN"]}, head, puno=puno)
    return [{"PUNO": puno}]


@handles("PPS370MI", "AddLine")
def add_line(call: Call) -> list[Record]:
    entry = _entry(call)
    if not entry.get("PUNO"):
        raise MIError(errors.WRONG_STATUS, f"Entry {entry['MSGN']} has no order head yet", "MSGN")
    item = call.store.doc("select doc from items where itno = ?", (call.get("ITNO"),))
    if item is None:
        raise call.not_found("ITNO")
    qty = call.decimal("ORQA") or Decimal(0)
    if qty <= 0:
        raise errors.invalid(
            "ORQA", call.label("ORQA"), call.get("ORQA"), "must be greater than zero"
        )
    price = call.decimal("PUPR", Decimal(item.get("_PUPR") or "0")) or Decimal(0)
    lines = _entry_lines(call.store, entry["MSGN"])
    pnli = call.integer("PNLI") or max((int(line["PNLI"]) for line in lines), default=0) + 1
    if any(int(line["PNLI"]) == pnli for line in lines):
        raise errors.duplicate("PNLI", call.label("PNLI"), str(pnli))
    line = {
        "CONO": CONO,
        "PUNO": entry["PUNO"],
        "PNLI": str(pnli),
        "PNLS": "0",
        "ITNO": item["ITNO"],
        "ITDS": item.get("ITDS", ""),
        "SUNO": entry["SUNO"],
        "FACI": entry["FACI"],
        "WHLO": call.get("WHLO") or entry["WHLO"],
        "ORQA": quantity(qty),
        "ORQT": quantity(qty),
        "PUPR": amount(price),
        "LNAM": amount(qty * price),
        "PUUN": item.get("UNMS", "EA"),
        "PPUN": item.get("UNMS", "EA"),
        "DWDT": call.date("DWDT") or entry["DWDT"],
        "CODT": call.date("DWDT") or entry["DWDT"],
        "PUSL": PO_ENTERED,
        "PUST": PO_ENTERED,
        "STAT": PO_ENTERED,
        "RVQA": "0",
        "IVQA": "0",
    }
    call.store.insert("purchase_entry_lines", {"msgn": entry["MSGN"], "pnli": pnli}, line)
    return [{"PUNO": entry["PUNO"], "PNLI": str(pnli)}]


@handles("PPS370MI", "FinishEntry")
def finish(call: Call) -> list[Record]:
    entry = _entry(call)
    lines = _entry_lines(call.store, entry["MSGN"])
    if entry.get("PUNO"):
        head = {k: v for k, v in entry.items() if not k.startswith("_")}
        po_totals(head, lines)
        insert_purchase_order(call.store, head, lines)
    entry["_FINISHED"] = "1"
    call.store.save("purchase_entries", {"msgn": entry["MSGN"]}, entry)
    return []


@handles("PPS370MI", "DeleteEntry")
def delete(call: Call) -> list[Record]:
    entry = _entry(call)
    call.store.db.execute("delete from purchase_entry_lines where msgn = ?", (entry["MSGN"],))
    call.store.db.execute("delete from purchase_entries where msgn = ?", (entry["MSGN"],))
    return []


def _entry_by_order(call: Call) -> Record:
    entry = call.store.doc("select doc from purchase_entries where puno = ?", (call.get("PUNO"),))
    if entry is None:
        raise call.not_found("PUNO")
    return entry


@handles("PPS370MI", "GetBatchHead")
def get_batch_head(call: Call) -> list[Record]:
    return [_entry_by_order(call)]


@handles("PPS370MI", "LstBatchLine")
def list_batch_lines(call: Call) -> list[Record]:
    return call.page(_entry_lines(call.store, _entry_by_order(call)["MSGN"]))


# --- PPS001MI -------------------------------------------------------------------------------------
@handles("PPS001MI", "Receipt")
def receipt(call: Call) -> list[Record]:
    head = _purchase_order(call)
    key = {"puno": head["PUNO"], "pnli": call.integer("PNLI")}
    line = call.store.doc(
        "select doc from purchase_lines where puno = ? and pnli = ?", tuple(key.values())
    )
    if line is None:
        raise call.not_found("PNLI")
    if line["PUSL"] >= PO_RECEIVED:
        raise MIError(
            errors.WRONG_STATUS, f"Order line {head['PUNO']}/{line['PNLI']} is received", "PNLI"
        )
    qty = call.decimal("RVQA") or Decimal(0)
    if qty <= 0:
        raise errors.invalid("RVQA", call.label("RVQA"), call.get("RVQA"), "must be positive")
    received = parse_decimal(line.get("RVQA") or "0") + qty
    ordered = parse_decimal(line["ORQA"])
    if received > ordered:
        why = f"exceeds the quantity still to receive {quantity(ordered - received + qty)}"
        raise errors.invalid("RVQA", call.label("RVQA"), call.get("RVQA"), why)
    whlo = call.get("WHLO") or line["WHLO"]
    call.check_codes({"WHLO": whlo})
    done = received == ordered or call.get("OEND") == "1"
    status = PO_RECEIVED if done else PO_PART_RECEIVED
    line |= {"RVQA": quantity(received), "RCDT": call.date("TRDT") or "", "PUSL": status}
    line["PUST"] = status
    touch(line, call.stamp)
    call.store.save("purchase_lines", key, line)
    lines = call.store.docs("select doc from purchase_lines where puno = ?", (head["PUNO"],))
    head["PUSL"] = min(row["PUSL"] for row in lines)
    head["PUST"] = max(row["PUST"] for row in lines)
    touch(head, call.stamp)
    call.store.save("purchase_orders", {"puno": head["PUNO"]}, head)
    add_to_balance(call.store, whlo, line["ITNO"], qty, call.stamp.lmts)
    repn = call.store.next_number("receiving", 1000001)
    return [{"REPN": str(repn), "WHLO": whlo, "ITNO": line["ITNO"], "WHSL": "", "BANO": ""}]


def add_to_balance(store: Store, whlo: str, itno: str, qty: Decimal, lmts: int) -> None:
    """Received goods on hand and available in the warehouse (a first receipt opens the
    balance)."""
    balance = store.doc(
        "select doc from item_balances where whlo = ? and itno = ?", (whlo, itno)
    ) or {"CONO": CONO, "WHLO": whlo, "ITNO": itno, "STQT": "0", "ALQT": "0", "ORQT": "0"}
    on_hand = parse_decimal(balance["STQT"]) + qty
    balance |= {"STQT": quantity(on_hand), "AV01": quantity(on_hand), "AVAL": quantity(on_hand)}
    store.db.execute(
        "insert or replace into item_balances (whlo, itno, doc, lmts) values (?, ?, ?, ?)",
        (whlo, itno, json.dumps(balance, separators=(",", ":")), lmts),
    )
