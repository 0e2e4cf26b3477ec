"""OIS100MI customer orders: batch entry (head, lines, confirm), then order heads and lines."""

from __future__ import annotations

from decimal import Decimal

from sandbox.infor import errors, orderbook
from sandbox.infor.company import (
    API_USER,
    CONO,
    STATUS_ALLOCATED,
    STATUS_CREATED,
    STATUS_ENTERED,
)
from sandbox.infor.errors import MIError
from sandbox.infor.orderbook import Order
from sandbox.infor.programs import customers
from sandbox.infor.programs.common import matches_query
from sandbox.infor.registry import Call, Record, handles
from sandbox.infor.store import Stamp, Store, touch
from sandbox.infor.tenant import Tenant
from sandbox.infor.values import amount, quantity

PROGRAM = "OIS100MI"
# The AddBatchHead inputs that become part of the order head.
HEAD_FIELDS = frozenset((
    "ORTP", "RLDT", "FACI", "CUOR", "AGNT", "SMCD", "MODL", "TEDL", "YREF", "PROJ", "TEPY", "PYNO",
    "ADID", "CUCD", "OREF", "OFNO", "TEL2", "CUDT", "INRC", "ORDT", "TEPA", "WHLO", "RESP", "PYCD",
))  # fmt: skip


def new_head(customer: Record, given: dict[str, str], order_date: str, tenant: Tenant) -> Record:
    """A batch order head: the customer's order defaults, overridden by what was given."""
    head: Record = {
        "CONO": CONO,
        "DIVI": tenant.divi,
        "CUNO": customer["CUNO"],
        "ORTP": customer.get("ORTP") or tenant.order_type,
        "FACI": customer.get("FACI") or tenant.faci,
        "WHLO": customer.get("WHLO") or tenant.whlo,
        "CUCD": customer.get("CUCD") or tenant.local_currency,
        "TEPY": customer.get("TEPY") or "30",
        "PYNO": customer.get("PYNO") or customer["CUNO"],
        "MODL": customer.get("MODL", ""),
        "TEDL": customer.get("TEDL", ""),
        "VTCD": customer.get("VTCD") or tenant.country_vat_code(customer.get("CSCD", "")),
        "LNCD": customer.get("LNCD", "GB"),
        "CUOR": "",
        "ORDT": order_date,
        "STAT": STATUS_ENTERED,
        "ORSL": "",
        "ORST": "",
        "ORNO": "",
        **{name: value for name, value in given.items() if name in HEAD_FIELDS},
    }
    head.setdefault("RLDT", head["ORDT"])
    head.setdefault("CUDT", head["ORDT"])
    head.update(orderbook.totals([], tenant))
    return head


def new_line(
    head: Record,
    item: Record,
    ponr: int,
    qty: Decimal,
    price: Decimal,
    given: dict[str, str],
    tenant: Tenant,
) -> Record:
    """A batch order line at `price` (net price = sales price: the sandbox has no discounts),
    with the VAT code its tax is figured by."""
    net_amount = qty * price
    line: Record = {
        "PONR": str(ponr),
        "POSX": "0",
        "ITNO": item["ITNO"],
        "ITDS": given.get("ITDS") or item.get("ITDS", ""),
        "ORQT": quantity(qty),
        "ORQA": quantity(qty),
        "SAPR": amount(price),
        "SAP2": amount(price),
        "NEPR": amount(price),
        "NLAM": amount(net_amount),
        "LNA2": amount(net_amount),
        "WHLO": given.get("WHLO") or head["WHLO"],
        "DWDT": given.get("DWDT") or head["RLDT"],
        "CODT": given.get("DWDT") or head["RLDT"],
        "ALUN": given.get("ALUN") or item.get("UNMS", "EA"),
        "SPUN": item.get("UNMS", "EA"),
        "CUCD": head["CUCD"],
        "CUOR": given.get("CUOR") or head.get("CUOR", ""),
        "VTCD": orderbook.line_vat_code(
            tenant, head.get("VTCD", ""), item, exempt=bool(given.get("TECN"))
        ),
        "TECN": given.get("TECN", ""),
        "ORST": "",
        "ALQT": "0",
        "DLQT": "0",
        "IVQT": "0",
        "CUPO": given.get("CUPO", ""),
    }
    return line


def insert_order(store: Store, batch_no: str, head: Record, lines: list[Record]) -> None:
    head["_BATCH"] = batch_no
    row = {
        "batch_no": batch_no,
        "orno": head.get("ORNO") or None,
        "cuno": head["CUNO"],
        "cuor": head.get("CUOR", ""),
        "orst": head.get("ORST", ""),
        "confirmed_ms": None,
        "delivered_ms": None,
        "lmts": int(head["LMTS"]),
    }
    store.insert("orders", row, head)
    for line in lines:
        store.insert(
            "order_lines", {"batch_no": batch_no, "ponr": int(line["PONR"]), "posx": 0}, line
        )


def confirm(store: Store, order: Order, stamp: Stamp, user: str) -> str:
    """Release a batch order as a customer order: final number, lines allocated (status 22)."""
    orno = str(store.next_number("customer_order", 1000000001))
    order.head["ORNO"] = orno
    order.head["_BSTAT"] = STATUS_CREATED
    orderbook.set_status(order, STATUS_ALLOCATED)
    for line in order.lines:
        line["ALQT"] = line["ORQT"]
    orderbook.save(
        store, order, stamp, user, orno=orno, orst=STATUS_ALLOCATED, confirmed_ms=stamp.lmts
    )
    return orno


def _batch_order(call: Call) -> Order:
    order = orderbook.by_batch_number(call.store, call.get("ORNO"))
    if order is None:
        raise call.not_found("ORNO")
    return order


def _open_batch_order(call: Call) -> Order:
    order = _batch_order(call)
    if order.orno:
        raise MIError(
            errors.WRONG_STATUS,
            f"Batch order {order.batch_no} is already confirmed as order {order.orno}",
            "ORNO",
        )
    return order


def _order(call: Call) -> Order:
    order = orderbook.by_order_number(call.store, call.get("ORNO"))
    if order is None:
        raise call.not_found("ORNO")
    return order


def _as_batch(order_head: Record) -> Record:
    """A head as the batch-entry transactions show it: ORNO is the batch number, ORNR the order."""
    return {
        **order_head,
        "ORNO": order_head["_BATCH"],
        "ORNR": order_head.get("ORNO", ""),
        "STAT": order_head.get("_BSTAT", STATUS_ENTERED),
    }


@handles(PROGRAM, "AddBatchHead")
def add_batch_head(call: Call) -> list[Record]:
    customer = customers.existing(call)
    call.check_codes(call.fields)
    given = dict(call.fields)
    for name in ("ORDT", "RLDT", "CUDT"):
        if name in given:
            given[name] = call.date(name) or ""
    head = new_head(customer, given, call.stamp.lmdt, call.tenant)
    batch_no = str(call.store.next_number("batch_order", 9000000001))
    head["_BSTAT"] = STATUS_ENTERED
    touch(head, call.stamp, new=True)
    insert_order(call.store, batch_no, head, [])
    return [{"ORNO": batch_no}]


@handles(PROGRAM, "AddBatchLine")
def add_batch_line(call: Call) -> list[Record]:
    order = _open_batch_order(call)
    item = call.store.doc("select doc from items where itno = ?", (call.get("ITNO"),))
    if item is None:
        raise call.not_found("ITNO")
    if item.get("STAT") == "90":
        raise MIError(errors.BLOCKED, f"{call.label('ITNO')} {item['ITNO']} is blocked", "ITNO")
    qty = call.decimal("ORQT")
    if qty is None:
        raise errors.missing("ORQT", call.label("ORQT"))
    if qty <= 0:
        raise errors.invalid(
            "ORQT", call.label("ORQT"), call.get("ORQT"), "must be greater than zero"
        )
    price = call.decimal("SAPR")
    if price is None:
        price = Decimal(item.get("_SAPR") or "0")
    if price < 0:
        raise errors.invalid("SAPR", call.label("SAPR"), call.get("SAPR"), "must not be negative")
    call.check_codes({"WHLO": call.get("WHLO")})
    given = dict(call.fields)
    if "DWDT" in given:
        given["DWDT"] = call.date("DWDT") or ""
    ponr = max((int(line["PONR"]) for line in order.lines), default=0) + 1
    line = new_line(order.head, item, ponr, qty, price, given, call.tenant)
    call.store.insert("order_lines", {"batch_no": order.batch_no, "ponr": ponr, "posx": 0}, line)
    order.lines.append(line)
    order.head.update(orderbook.totals(order.lines, call.tenant))
    orderbook.save(call.store, order, call.stamp, API_USER)
    return [{"PONR": line["PONR"], "POSX": line["POSX"], "ATNR": ""}]


@handles(PROGRAM, "Confirm")
def confirm_batch(call: Call) -> list[Record]:
    order = _open_batch_order(call)
    if not order.lines:
        raise MIError(errors.WRONG_STATUS, f"Batch order {order.batch_no} has no lines", "ORNO")
    orno = confirm(call.store, order, call.stamp, API_USER)
    return [{"ORNO": orno, "STAT": STATUS_ALLOCATED}]


@handles(PROGRAM, "DelBatchHead")
def delete_batch_head(call: Call) -> list[Record]:
    order = _open_batch_order(call)
    call.store.db.execute("delete from order_lines where batch_no = ?", (order.batch_no,))
    call.store.db.execute("delete from orders where batch_no = ?", (order.batch_no,))
    return []


@handles(PROGRAM, "GetOrderNo")
def get_order_number(call: Call) -> list[Record]:
    return [{"ORNR": _batch_order(call).orno}]


@handles(PROGRAM, "GetBatchHead")
def get_batch_head(call: Call) -> list[Record]:
    order = _batch_order(call)
    return [_as_batch(order.head)]


@handles(PROGRAM, "LstBatchHead")
def list_batch_heads(call: Call) -> list[Record]:
    customers.existing(call)
    heads = call.store.docs(
        "select doc from orders where cuno = ? order by batch_no", (call.get("CUNO"),)
    )
    heads = [_as_batch(head) for head in heads]
    return call.page([h for h in heads if _status_between(h, call)])


@handles(PROGRAM, "LstBatchLine")
def list_batch_lines(call: Call) -> list[Record]:
    return call.page(_batch_order(call).lines)


@handles(PROGRAM, "LstOrderTypes")
def list_order_types(call: Call) -> list[Record]:
    """The tenant's customer order types: what AddBatchHead and ChgOrderInfo accept as ORTP."""
    rows = [
        {"ORTP": code, "ORTK": "1", "NEXT": "", "TX40": description}
        for code, description in call.tenant.order_types.items()
    ]
    return call.page(rows)


@handles(PROGRAM, "GetOrderType")
def get_order_type(call: Call) -> list[Record]:
    """The order type a new order gets: the customer's, else the tenant's first."""
    if call.get("CUNO"):
        return [{"ORTP": customers.existing(call).get("ORTP") or call.tenant.order_type}]
    return [{"ORTP": call.tenant.order_type}]


@handles(PROGRAM, "GetHead")
def get_head(call: Call) -> list[Record]:
    return [_order(call).head]


def _status_between(head: Record, call: Call) -> bool:
    """LstHead filters: ORSL = lowest status at least, ORST = highest status at most."""
    low, high = call.get("ORSL"), call.get("ORST")
    return (not low or head.get("ORSL", "") >= low) and (not high or head.get("ORST", "") <= high)


@handles(PROGRAM, "LstHead")
def list_heads(call: Call) -> list[Record]:
    customers.existing(call)
    heads = call.store.docs(
        "select doc from orders where cuno = ? and orno is not null order by orno",
        (call.get("CUNO"),),
    )
    return call.page([head for head in heads if _status_between(head, call)])


@handles(PROGRAM, "GetLine")
def get_line(call: Call) -> list[Record]:
    order = _order(call)
    ponr, posx = call.get("PONR"), call.get("POSX") or "0"
    if ponr.isdigit() and posx.isdigit():
        for line in order.lines:
            if (int(line["PONR"]), int(line["POSX"])) == (int(ponr), int(posx)):
                return [line]
    raise call.not_found("PONR")


@handles(PROGRAM, "LstLine")
def list_lines(call: Call) -> list[Record]:
    lines = _order(call).lines
    if call.get("ORST"):
        lines = [line for line in lines if line["ORST"] == call.get("ORST")]
    if call.get("ITNO"):
        lines = [line for line in lines if line["ITNO"] == call.get("ITNO")]
    return call.page(lines)


@handles(PROGRAM, "LstDelLineByCO")
def list_delivery_lines(call: Call) -> list[Record]:
    order = _order(call)
    ponr = call.integer("PONR")
    sql = "select doc from delivery_lines where orno = ? and ponr = ?"
    params: list = [order.orno, ponr]
    if call.get("POSX"):
        sql += " and posx = ?"
        params.append(call.integer("POSX"))
    return call.store.docs(sql + " order by dlix limit ?", [*params, call.sql_limit])


@handles(PROGRAM, "SearchHead")
def search_heads(call: Call) -> list[Record]:
    query = call.get("SQRY")
    name, sep, value = query.partition(":")
    if name == "CUOR" and sep and " " not in value and "*" not in value:
        # The customer's PO is how a sync finds its own orders again: use the index.
        heads = call.store.docs(
            "select doc from orders where cuor = ? and orno is not null order by orno", (value,)
        )
    else:
        heads = call.store.docs("select doc from orders where orno is not null order by orno")
    found = []
    for head in heads:
        if matches_query(head, query):
            found.append(
                {**head, "PGNM": "OIS100", "FILE": "OOHEAD", "KSTR": f"{CONO}{head['ORNO']}"}
            )
            if call.limit is not None and len(found) >= call.limit:
                break
    return found
