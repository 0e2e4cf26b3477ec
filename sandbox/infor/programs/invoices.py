"""OIS350MI customer-order invoices and ARS200MI customer invoices (AR open items)."""

from __future__ import annotations

from decimal import Decimal

from sandbox.infor import orderbook, receivables
from sandbox.infor.company import RECO_PAID, TRCD_INVOICE
from sandbox.infor.registry import Call, Record, handles
from sandbox.infor.values import amount, parse_decimal


def _invoice(call: Call) -> Record:
    invoice = call.store.doc(
        "select doc from invoices where yea4 = ? and ivno = ?",
        (call.integer("YEA4"), call.integer("IVNO")),
    )
    if invoice is None:
        raise call.not_found("IVNO")
    return invoice


@handles("OIS350MI", "LstInvHead")
def list_invoice_heads(call: Call) -> list[Record]:
    return call.store.docs(
        "select doc from invoices where yea4 = ? and ivno >= ? order by ivno limit ?",
        (call.integer("YEA4"), call.integer("IVNO", 0), call.sql_limit),
    )


@handles("OIS350MI", "GetInvHead")
def get_invoice_head(call: Call) -> list[Record]:
    return [_invoice(call)]


@handles("OIS350MI", "LstAllInvByCO", "LstInvHeadByCo")
def list_by_order(call: Call) -> list[Record]:
    sql, params = "select doc from invoices where orno = ?", [call.get("ORNO")]
    if call.get("DLIX"):
        sql += " and json_extract(doc, '$.DLIX') = ?"
        params.append(str(call.integer("DLIX")))
    return call.store.docs(sql + " order by ivno limit ?", [*params, call.sql_limit])


@handles("OIS350MI", "LstInvLine")
def list_invoice_lines(call: Call) -> list[Record]:
    invoice = _invoice(call)
    order = orderbook.by_order_number(call.store, invoice["ORNO"])
    if order is None:
        return []
    lines = []
    for line in order.lines:
        net = parse_decimal(line["NLAM"])
        vat = call.tenant.vat(line.get("VTCD", ""))
        rates = [*vat.rates, Decimal(0), Decimal(0)][:2]
        lines.append(
            {
                "ORNO": invoice["ORNO"],
                "DLIX": invoice.get("DLIX", ""),
                "WHLO": line.get("WHLO", ""),
                "IVRF": f"{line['PONR']} {line['ITNO']}",
                "AMT1": amount(net),
                "AMT2": amount(net),
                "AMT3": amount(net),
                "VTAM": amount(vat.vat(net)),
                "CVTM": amount(vat.vat(net)),
                "VTCD": vat.code,
                "VTP1": str(rates[0]),
                "VTP2": str(rates[1]),
                "PYNO": invoice.get("PYNO", ""),
                "CUNM": invoice.get("CUNM", ""),
            }
        )
    return call.page(lines)


# --- ARS200MI -------------------------------------------------------------------------------------
def _ar_filters(call: Call) -> tuple[str, list]:
    sql, params = "", []
    if call.get("AAC0") == "1":  # only open invoices
        sql += " and json_extract(doc, '$.RECO') <> ?"
        params.append(RECO_PAID)
    if call.get("IVDT"):
        sql += " and json_extract(doc, '$.IVDT') >= ?"
        params.append(call.date("IVDT"))
    return sql, params


@handles("ARS200MI", "LstInvoices")
def list_invoices(call: Call) -> list[Record]:
    extra, params = _ar_filters(call)
    return call.store.docs(
        "select doc from ar_items where cuno = ? and trcd = ?"
        + extra
        + " order by yea4, jrno limit ?",
        [call.get("CUNO"), TRCD_INVOICE, *params, call.sql_limit],
    )


@handles("ARS200MI", "LstInvByDivi")
def list_invoices_by_division(call: Call) -> list[Record]:
    extra, params = _ar_filters(call)
    for name in ("CUNO", "PYNO"):
        if call.get(name):
            extra += f" and json_extract(doc, '$.{name}') = ?"
            params.append(call.get(name))
    return call.store.docs(
        "select doc from ar_items where trcd = ?" + extra + " order by yea4, jrno limit ?",
        [TRCD_INVOICE, *params, call.sql_limit],
    )


@handles("ARS200MI", "GetInvoice")
def get_invoice(call: Call) -> list[Record]:
    item = call.store.doc(
        "select doc from ar_items where yea4 = ? and jrno = ? and jsno = ?",
        (call.integer("YEA4"), call.integer("JRNO"), call.integer("JSNO")),
    )
    if item is None:
        raise call.not_found("JRNO")
    return [item]


def _invoice_items(call: Call) -> list[Record]:
    items = [
        item
        for item in receivables.items_of(call.store, call.get("CINO"), call.integer("INYR") or 0)
        if item["CUNO"] == call.get("CUNO") and item["PYNO"] == call.get("PYNO")
    ]
    if not items:
        raise call.not_found("CINO")
    return items


@handles("ARS200MI", "LstInvoiceTrans")
def list_invoice_transactions(call: Call) -> list[Record]:
    items = _invoice_items(call)
    if call.get("TRCD"):
        items = [item for item in items if item["TRCD"] == str(call.integer("TRCD"))]
    return call.page(items)


@handles("ARS200MI", "GetInvTotInfo")
def get_invoice_totals(call: Call) -> list[Record]:
    items = _invoice_items(call)
    invoice = next((item for item in items if item["TRCD"] == TRCD_INVOICE), items[0])
    total = sum((parse_decimal(item["CUAM"]) for item in items), Decimal("0"))
    paid = parse_decimal(invoice["CUAM"]) - total
    # Local amounts equal currency amounts: the sandbox books every currency at rate 1.
    return [
        {
            **invoice,
            "ACAM": invoice["CUAM"],
            "PCUA": amount(paid),
            "PAMT": amount(paid),
            "OCUA": amount(total),
            "OAMT": amount(total),
        }
    ]
