"""MWS410MI delivery heads and MWS411MI delivery lines, created when an order ships."""

from __future__ import annotations

from sandbox.infor.company import REFERENCE_CUSTOMER_ORDER
from sandbox.infor.registry import Call, Record, handles


def _delivery_number(call: Call) -> int:
    call.require("DLIX")  # optional in the contract, yet GetHead needs it
    return call.integer("DLIX") or 0


@handles("MWS410MI", "GetHead")
def get_head(call: Call) -> list[Record]:
    delivery = call.store.doc(
        "select doc from deliveries where dlix = ?", (_delivery_number(call),)
    )
    if delivery is None:
        raise call.not_found("DLIX")
    return [delivery]


@handles("MWS411MI", "LstDelLnByOrd")
def list_by_order(call: Call) -> list[Record]:
    if (call.get("RORC") or REFERENCE_CUSTOMER_ORDER) != REFERENCE_CUSTOMER_ORDER:
        return []  # only customer orders ship in the sandbox
    sql, params = "select doc from delivery_lines where orno = ?", [call.get("RIDN")]
    if call.get("RIDL"):
        sql += " and ponr = ?"
        params.append(call.integer("RIDL"))
    if call.get("RIDX"):
        sql += " and posx = ?"
        params.append(call.integer("RIDX"))
    return call.store.docs(sql + " order by dlix, ponr, posx limit ?", [*params, call.sql_limit])


@handles("MWS411MI", "LstDeliveryLine")
def list_by_delivery(call: Call) -> list[Record]:
    sql, params = "select doc from delivery_lines where dlix = ?", [call.integer("DLIX")]
    if call.get("RIDN"):
        sql += " and orno = ?"
        params.append(call.get("RIDN"))
    return call.store.docs(sql + " order by ponr, posx limit ?", [*params, call.sql_limit])


@handles("MWS411MI", "GetDeliveryLine")
def get_line(call: Call) -> list[Record]:
    line = call.store.doc(
        "select doc from delivery_lines where dlix = ? and orno = ? and ponr = ? and posx = ?",
        (call.integer("DLIX"), call.get("RIDN"), call.integer("RIDL"), call.integer("RIDX")),
    )
    if line is None or call.get("RORC") != REFERENCE_CUSTOMER_ORDER:
        raise call.not_found("DLIX")
    return [line]
