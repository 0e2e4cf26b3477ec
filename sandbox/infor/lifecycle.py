"""The customer-order lifecycle after Confirm: allocated (22) -> delivered (66) -> invoiced (77).

Delivering creates the delivery (MWS410MI head, MWS411MI lines); invoicing creates the invoice
(OIS350MI) and its AR open item (ARS200MI). Both run from the `/_sandbox/infor/orders/...`
controls, or by themselves once an order has waited `ship_after_hours` / `invoice_after_hours`
of sandbox time (off unless configured).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sandbox.infor import errors, orderbook, receivables
from sandbox.infor.company import (
    CONO,
    DELIVERY_REPORTED,
    REFERENCE_CUSTOMER_ORDER,
    STATUS_ALLOCATED,
    STATUS_DELIVERED,
    STATUS_INVOICED,
    TRCD_INVOICE,
    terms_days,
)
from sandbox.infor.errors import MIError
from sandbox.infor.orderbook import Order
from sandbox.infor.store import Stamp, Store, touch
from sandbox.infor.values import add_days, amount

DELIVERY_LINE_COLUMNS = ("dlix", "ponr", "posx", "orno", "lmts")


@dataclass
class LifecycleRules:
    """Timed rule: sandbox hours after which confirmed orders ship and shipped orders invoice."""

    ship_after_hours: float | None = None
    invoice_after_hours: float | None = None


def _wrong_status(order: Order, action: str, needed: str) -> MIError:
    return MIError(
        errors.WRONG_STATUS,
        f"Order {order.orno or order.batch_no} has status {order.head.get('ORST', '')}; "
        f"{action} needs status {needed}",
        "ORNO",
    )


def ship(store: Store, order: Order, stamp: Stamp, user: str) -> dict[str, str]:
    """Deliver every line of an allocated order: one delivery (DLIX) and shipment (CONN)."""
    if order.head.get("ORST") != STATUS_ALLOCATED:
        raise _wrong_status(order, "delivery", STATUS_ALLOCATED)
    dlix = store.next_number("delivery", 10000001)
    conn = store.next_number("shipment", 1000001)
    head = order.head
    delivery = {
        "CONO": CONO,
        "DIVI": store.tenant.divi,
        "DLIX": str(dlix),
        "CONN": str(conn),
        "RORC": REFERENCE_CUSTOMER_ORDER,
        "RIDN": order.orno,
        "WHLO": head.get("WHLO", ""),
        "CUOR": head.get("CUOR", ""),
        "MODL": head.get("MODL", ""),
        "TEDL": head.get("TEDL", ""),
        "YREF": head.get("YREF", ""),
        "PGRS": DELIVERY_REPORTED,
        "PIST": DELIVERY_REPORTED,
        "TRDT": stamp.lmdt,
        "TRTM": stamp.time,
        "DSDT": stamp.lmdt,
        "GEDT": stamp.lmdt,
        "NRUL": "1",
        "BLOP": "0",
        "IVNO": "",
        "IVDT": "",
    }
    touch(delivery, stamp, user, new=True)
    store.insert("deliveries", {"dlix": dlix, "orno": order.orno, "lmts": stamp.lmts}, delivery)
    for line in order.lines:
        delivery_line = {
            "DLIX": str(dlix),
            "RORC": REFERENCE_CUSTOMER_ORDER,
            "RIDN": order.orno,
            "RIDL": line["PONR"],
            "RIDX": line["POSX"],
            "ITNO": line["ITNO"],
            "FACI": head.get("FACI") or store.tenant.faci,
            "WHLO": line.get("WHLO", ""),
            "TRQT": line["ORQT"],
            "PLQT": line["ORQT"],
            "TRQA": line["ORQT"],
            "PLQA": line["ORQT"],
            "ALUN": line.get("ALUN", ""),
            "MODL": head.get("MODL", ""),
            "PGRS": DELIVERY_REPORTED,
            "BLOP": "0",
        }
        touch(delivery_line, stamp, user, new=True)
        columns = (dlix, int(line["PONR"]), int(line["POSX"]), order.orno, stamp.lmts)
        store.insert(
            "delivery_lines", dict(zip(DELIVERY_LINE_COLUMNS, columns, strict=True)), delivery_line
        )
        line["DLQT"], line["ALQT"] = line["ORQT"], "0"
    orderbook.set_status(order, STATUS_DELIVERED)
    orderbook.save(store, order, stamp, user, orst=STATUS_DELIVERED, delivered_ms=stamp.lmts)
    return delivery


def invoice(store: Store, order: Order, stamp: Stamp, user: str) -> dict[str, str]:
    """Invoice a delivered order: the OIS350MI invoice and its ARS200MI open item (RECO 0)."""
    if order.head.get("ORST") != STATUS_DELIVERED:
        raise _wrong_status(order, "invoicing", STATUS_DELIVERED)
    head = order.head
    customer = store.doc("select doc from customers where cuno = ?", (head["CUNO"],)) or {
        "CUNO": head["CUNO"]
    }
    net, vat, gross = orderbook.gross_and_vat(head)
    ivno = store.next_number("invoice", 100001)
    yea4 = int(stamp.lmdt[:4])
    due = add_days(stamp.lmdt, terms_days(head.get("TEPY", "")))
    delivery = store.doc(
        "select doc from deliveries where orno = ? order by dlix desc", (order.orno,)
    )
    dlix = delivery["DLIX"] if delivery else ""
    document = {
        "CONO": CONO,
        "DIVI": store.tenant.divi,
        "IVNO": str(ivno),
        "YEA4": str(yea4),
        "EXIN": str(ivno),
        "INPX": "",
        "FACI": head.get("FACI") or store.tenant.faci,
        "ORNO": order.orno,
        "DLIX": dlix,
        "WHLO": head.get("WHLO", ""),
        "CONN": delivery.get("CONN", "") if delivery else "",
        "CUNO": head["CUNO"],
        "PYNO": head.get("PYNO") or head["CUNO"],
        "CUNM": customer.get("CUNM", ""),
        "CUN1": customer.get("CUNM", ""),
        "PYN1": customer.get("CUNM", ""),
        "IDAT": stamp.lmdt,
        "IVDT": stamp.lmdt,
        "ACDT": stamp.lmdt,
        "DLDT": delivery.get("TRDT", "") if delivery else "",
        "DUDT": due,
        "TEPY": head.get("TEPY", ""),
        "CUCD": head.get("CUCD", ""),
        "CUC1": head.get("CUCD", ""),
        "CUC2": head.get("CUCD", ""),
        "CRTP": "1",
        "RAIN": "1",
        "AMT1": amount(gross),
        "AMT2": amount(net),
        "IVAV": amount(gross),
        "IVAM": amount(gross),
        "VTAM": amount(vat),
        "RAFC": amount(gross),
        "ORST": STATUS_INVOICED,
        "CASH": "0",
        "AICD": "0",
        "VONO": str(ivno),
    }
    touch(document, stamp, user, new=True)
    store.insert(
        "invoices",
        {"ivno": ivno, "yea4": yea4, "orno": order.orno, "cuno": head["CUNO"], "lmts": stamp.lmts},
        document,
    )
    open_item = receivables.ar_record(
        division=store.tenant.divi,
        yea4=yea4,
        jrno=store.next_number("ar_journal", 1000001),
        trcd=TRCD_INVOICE,
        customer={**customer, "CUNO": head["CUNO"], "PYNO": document["PYNO"]},
        cino=str(ivno),
        inyr=yea4,
        amount_due=gross,
        vat=vat,
        invoice_date=stamp.lmdt,
        due_date=due,
        accounting_date=stamp.lmdt,
        description=f"Inv {ivno}",
    )
    touch(open_item, stamp, user, new=True)
    ar_columns = receivables.row(open_item)[:-1]
    store.insert("ar_items", dict(zip(receivables.AR_COLUMNS, ar_columns, strict=True)), open_item)
    if delivery:
        delivery["IVNO"], delivery["IVDT"] = str(ivno), stamp.lmdt
        touch(delivery, stamp, user)
        store.save("deliveries", {"dlix": int(dlix)}, delivery, lmts=stamp.lmts)
    for line in order.lines:
        line["IVQT"] = line.get("DLQT") or line["ORQT"]
    orderbook.set_status(order, STATUS_INVOICED)
    orderbook.save(store, order, stamp, user, orst=STATUS_INVOICED)
    return document


def advance_due(store: Store, rules: LifecycleRules, stamp: Stamp, user: str) -> int:
    """Apply the timed rule: ship and invoice what has waited long enough. Returns the count."""
    moved = 0
    for status, hours, column, action in (
        (STATUS_ALLOCATED, rules.ship_after_hours, "confirmed_ms", ship),
        (STATUS_DELIVERED, rules.invoice_after_hours, "delivered_ms", invoice),
    ):
        if hours is None:
            continue
        cutoff = stamp.lmts - int(Decimal(str(hours)) * 3_600_000)
        numbers = [
            row[0]
            for row in store.db.all(
                f"select orno from orders where orst = ? and {column} <= ? order by {column}",
                (status, cutoff),
            )
        ]
        for orno in numbers:
            order = orderbook.by_order_number(store, orno)
            if order is not None:
                action(store, order, stamp, user)
                moved += 1
    return moved
