"""APS450MI supplier invoice batches: a head, its lines, then approval into accounts payable.

A batch is entered (SUPA 10) with AddHead and AddLine; ApproveInvoice checks that it balances
(the invoice amount CUAM is its lines' net amounts plus their VAT, and VTAM, when given, their
VAT) and books it in AP (SUPA 50, an open item in `payables`); RejectInvoice sets an entered
batch aside (SUPA 90). An approved invoice is cancelled by a credit invoice: a batch with a
negative amount that names the original in DNOI. Line types: 1 = a purchase order line (PUNO,
PNLI), 8 = an accounting line (AO01 the GL account). A supplier invoice number (SINO) is one
invoice per payee and supplier: a second batch with it is refused unless the first was rejected.
"""

from __future__ import annotations

from decimal import Decimal

from sandbox.infor import errors, payables
from sandbox.infor.company import (
    API_USER,
    CONO,
    INVOICE_APPROVED,
    INVOICE_ENTERED,
    INVOICE_REJECTED,
    terms_days,
)
from sandbox.infor.errors import MIError
from sandbox.infor.registry import Call, Record, handles
from sandbox.infor.store import Store, touch
from sandbox.infor.values import add_days, amount, parse_decimal, quantity

PROGRAM = "APS450MI"
LINE_PURCHASE_ORDER = "1"
LINE_ACCOUNTING = "8"
LINE_TYPES = (LINE_PURCHASE_ORDER, LINE_ACCOUNTING)
STANDARD_BATCH = "10"  # IBTP of an ordinary supplier invoice


def insert_batch(store: Store, head: Record, lines: list[Record]) -> None:
    """Store a batch head and its lines (the seed enters whole batches this way too)."""
    columns = {"inbn": int(head["INBN"]), "suno": head["SUNO"], "spyn": head["SPYN"]}
    store.insert("supplier_invoices", {**columns, "sino": head["SINO"], "supa": head["SUPA"]}, head)
    for line in lines:
        store.insert(
            "supplier_invoice_lines", {"inbn": int(line["INBN"]), "trno": int(line["TRNO"])}, line
        )


def _supplier(call: Call, field: str) -> Record:
    supplier = call.store.doc("select doc from suppliers where suno = ?", (call.get(field),))
    if supplier is None:
        raise call.not_found(field)
    return supplier


def _batch(call: Call) -> Record:
    head = call.store.doc(
        "select doc from supplier_invoices where inbn = ?", (call.integer("INBN"),)
    )
    if head is None:
        raise call.not_found("INBN")
    return head


def _entered(call: Call) -> Record:
    head = _batch(call)
    if head["SUPA"] != INVOICE_ENTERED:
        state = "approved" if head["SUPA"] == INVOICE_APPROVED else "rejected"
        raise MIError(errors.WRONG_STATUS, f"Invoice batch {head['INBN']} is {state}", "INBN")
    return head


def _lines(call: Call, inbn: int) -> list[Record]:
    return call.store.docs(
        "select doc from supplier_invoice_lines where inbn = ? order by trno", (inbn,)
    )


def _save(call: Call, head: Record) -> None:
    touch(head, call.stamp)
    call.store.save("supplier_invoices", {"inbn": int(head["INBN"])}, head, supa=head["SUPA"])


def _invoice_with_number(call: Call, payee: str, supplier: str, sino: str) -> Record | None:
    """The batch that holds this supplier invoice number, unless it was rejected."""
    for head in call.store.docs(
        "select doc from supplier_invoices where spyn = ? and suno = ? and sino = ?",
        (payee, supplier, sino),
    ):
        if head["SUPA"] != INVOICE_REJECTED:
            return head
    return None


@handles(PROGRAM, "AddHead")
def add_head(call: Call) -> list[Record]:
    supplier = _supplier(call, "SUNO")
    payee = call.get("SPYN") or supplier["SUNO"]
    if payee != supplier["SUNO"]:
        _supplier(call, "SPYN")
    currency = call.get("CUCD") or supplier.get("CUCD", call.tenant.local_currency)
    call.check_codes({"CUCD": currency, "DIVI": call.get("DIVI")})
    sino = call.get("SINO")
    if sino and _invoice_with_number(call, payee, supplier["SUNO"], sino) is not None:
        raise errors.duplicate("SINO", call.label("SINO"), sino)
    original = call.get("DNOI")
    if original and payables.invoice_item(call.store, supplier["SUNO"], original) is None:
        raise call.not_found("DNOI")
    order = call.get("PUNO")
    if (
        order
        and call.store.doc(
            "select doc from purchase_orders where puno = ? and suno = ?", (order, supplier["SUNO"])
        )
        is None
    ):
        raise call.not_found("PUNO")
    invoice_date = call.date("IVDT") or ""
    terms = call.get("TEPY") or supplier.get("TEPY", "")
    inbn = call.store.next_number("invoice_batch", 1001)
    head = {
        **{k: v for k, v in call.fields.items() if k not in ("CONO", "DIVI")},
        "CONO": CONO,
        "DIVI": call.tenant.divi,
        "INBN": str(inbn),
        "IBTP": call.get("IBTP") or STANDARD_BATCH,
        "SUPA": INVOICE_ENTERED,
        "BIST": "0",
        "SUNO": supplier["SUNO"],
        "SPYN": payee,
        "SINO": sino,
        "IVDT": invoice_date,
        "ACDT": call.date("ACDT") or invoice_date,
        "DUDT": call.date("DUDT") or add_days(invoice_date, terms_days(terms)),
        "CUCD": currency,
        "TEPY": terms,
        "CUAM": amount(call.decimal("CUAM") or Decimal(0)),
        "VTAM": amount(call.decimal("VTAM") or Decimal(0)) if call.get("VTAM") else "",
    }
    touch(head, call.stamp, new=True)
    insert_batch(call.store, head, [])
    return [{"INBN": str(inbn)}]


def _account(call: Call) -> str:
    """The GL account of an accounting line: it must exist in the chart and be open."""
    code = call.require("AO01")
    account = call.store.doc("select doc from accounts where aitp = 1 and aitm = ?", (code,))
    if account is None:
        raise call.tenant.wording.unknown_code("AO01", call.label("AO01"), code)
    if account.get("LCCD") == "1":
        raise MIError(errors.BLOCKED, f"Account {code} is blocked", "AO01")
    return code


@handles(PROGRAM, "AddLine")
def add_line(call: Call) -> list[Record]:
    head = _entered(call)
    inbn = int(head["INBN"])
    line_type = call.get("RDTP")
    if line_type not in LINE_TYPES:
        raise errors.invalid("RDTP", call.label("RDTP"), line_type)
    line = {k: v for k, v in call.fields.items() if k not in ("CONO", "DIVI")}
    if line_type == LINE_ACCOUNTING:
        line["AO01"] = _account(call)
        net = call.decimal("NLAM")
        if net is None:
            raise errors.missing("NLAM", call.label("NLAM"))
    else:
        order, number = call.require("PUNO"), call.integer("PNLI")
        po_line = call.store.doc(
            "select doc from purchase_lines where puno = ? and pnli = ?", (order, number)
        )
        if po_line is None or po_line.get("SUNO") != head["SUNO"]:
            raise call.not_found("PNLI", f"{order}/{number}")
        invoiced = call.decimal("IVQA", parse_decimal(po_line["RVQA"]))
        net = call.decimal("NLAM", (invoiced or 0) * parse_decimal(po_line["PUPR"]))
        line |= {"ITNO": po_line["ITNO"], "IVQA": quantity(invoiced or Decimal(0))}
    trno = len(_lines(call, inbn)) + 1
    line |= {
        "CONO": CONO,
        "DIVI": call.tenant.divi,
        "INBN": str(inbn),
        "TRNO": str(trno),
        "RDTP": line_type,
        "CUCD": head["CUCD"],
        "NLAM": amount(net or Decimal(0)),
        "VTA1": amount(call.decimal("VTA1") or Decimal(0)),
        "VTA2": amount(call.decimal("VTA2") or Decimal(0)),
    }
    touch(line, call.stamp, new=True)
    call.store.insert("supplier_invoice_lines", {"inbn": inbn, "trno": trno}, line)
    return [{"TRNO": str(trno)}]


def _totals(lines: list[Record]) -> tuple[Decimal, Decimal]:
    net = sum((parse_decimal(line["NLAM"]) for line in lines), Decimal(0))
    vat = sum(
        (parse_decimal(line["VTA1"]) + parse_decimal(line["VTA2"]) for line in lines), Decimal(0)
    )
    return net, vat


@handles(PROGRAM, "GetHead")
def get_head(call: Call) -> list[Record]:
    head = _batch(call)
    net, _ = _totals(_lines(call, int(head["INBN"])))
    return [{**head, "TLNA": amount(net), "TOPA": head["CUAM"]}]


@handles(PROGRAM, "LstLines")
def list_lines(call: Call) -> list[Record]:
    head = _batch(call)
    lines = _lines(call, int(head["INBN"]))
    number = call.integer("TRNO")
    return call.page([line for line in lines if number is None or int(line["TRNO"]) == number])


@handles(PROGRAM, "LstInvBySupInv")
def list_by_supplier_invoice(call: Call) -> list[Record]:
    heads = call.store.docs(
        "select doc from supplier_invoices where spyn = ? and suno = ? and sino = ? order by inbn",
        (call.get("SPYN"), call.get("SUNO"), call.get("SINO")),
    )
    return call.page([{k: h[k] for k in ("INBN", "IBTP", "SUPA")} for h in heads])


@handles(PROGRAM, "LstInvBatchNo")
def list_batch_numbers(call: Call) -> list[Record]:
    heads = call.store.docs(
        "select doc from supplier_invoices where spyn = ? and inbn >= ? order by inbn",
        (call.get("SPYN"), call.integer("INBN", 0)),
    )
    wanted = {name: call.get(name) for name in ("SUNO", "IBTP", "SUPA") if call.get(name)}
    found = [h for h in heads if all(h.get(k) == v for k, v in wanted.items())]
    return call.page([{k: h[k] for k in ("INBN", "SUNO", "SINO", "IBTP", "SUPA")} for h in found])


@handles(PROGRAM, "ApproveInvoice")
def approve(call: Call) -> list[Record]:
    head = _entered(call)
    inbn = int(head["INBN"])
    lines = _lines(call, inbn)
    if not lines:
        raise MIError(errors.NOT_BALANCED, f"Invoice batch {inbn} has no lines", "INBN")
    net, vat = _totals(lines)
    total = parse_decimal(head["CUAM"])
    if net + vat != total or (head.get("VTAM") and parse_decimal(head["VTAM"]) != vat):
        raise MIError(
            errors.NOT_BALANCED,
            f"Invoice batch {inbn} does not balance: lines {amount(net)} + VAT {amount(vat)} "
            f"is not the invoice amount {head['CUAM']} (VAT {head.get('VTAM') or 'not given'})",
            "CUAM",
        )
    for name in ("SINO", "IVDT", "DUDT"):
        if call.get(name):
            head[name] = call.date(name) if name != "SINO" else call.get(name)
    head["SUPA"], head["AAPD"] = INVOICE_APPROVED, call.date("AAPD") or call.stamp.lmdt
    head["VTAM"] = amount(vat)
    _save(call, head)
    payables.book_invoice(call.store, head, stamp=call.stamp, user=API_USER)
    for line in lines:
        if line["RDTP"] == LINE_PURCHASE_ORDER:
            _invoiced(call, line)
    return []


def _invoiced(call: Call, line: Record) -> None:
    """A purchase order line invoiced by an approved batch carries the quantity invoiced."""
    key = {"puno": line["PUNO"], "pnli": int(line["PNLI"])}
    po_line = call.store.doc(
        "select doc from purchase_lines where puno = ? and pnli = ?", tuple(key.values())
    )
    if po_line is None:
        return
    done = parse_decimal(po_line.get("IVQA") or "0") + parse_decimal(line["IVQA"])
    po_line["IVQA"], po_line["IDAT"] = quantity(done), call.stamp.lmdt
    touch(po_line, call.stamp)
    call.store.save("purchase_lines", key, po_line)


@handles(PROGRAM, "RejectInvoice")
def reject(call: Call) -> list[Record]:
    head = _entered(call)
    head["SUPA"], head["REJD"] = INVOICE_REJECTED, call.date("REJD") or call.stamp.lmdt
    head["SCRE"] = call.get("SCRE")
    _save(call, head)
    return [{"INBN": head["INBN"], "TRNO": "0"}]
