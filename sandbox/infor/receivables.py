"""Accounts receivable open items (ARS200MI): invoices, payments, and their reconciliation.

One record per invoice (TRCD 10) or payment (TRCD 20); an invoice number's records are reconciled
(RECO 9) once their amounts add up to zero.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sandbox.infor.company import CONO, RECO_OPEN, RECO_PAID, TRCD_INVOICE, TRCD_PAYMENT
from sandbox.infor.store import Stamp, Store, touch
from sandbox.infor.values import amount, parse_decimal

AR_COLUMNS = ("yea4", "jrno", "jsno", "cuno", "cino", "inyr", "trcd", "lmts")

# What a cash receipt writes into its AR payment's text (TDSC), as the tenant is set up:
# (statement number, bank reference, payment date YYYYMMDD) -> text.
RECEIPT_TEXTS: dict[str, Callable[[str, str, str], str]] = {
    "statement": lambda statement, bank_reference, paid_on: statement,
    "bank-reference": lambda statement, bank_reference, paid_on: bank_reference,
    "payment-date": lambda statement, bank_reference, paid_on: f"PMT {paid_on[2:]}",
}


def receipt_text(setting: str, *, statement: str, bank_reference: str, paid_on: str) -> str:
    return RECEIPT_TEXTS[setting](statement, bank_reference, paid_on)


def ar_record(
    *,
    division: str,
    yea4: int,
    jrno: int,
    trcd: str,
    customer: dict[str, str],
    cino: str,
    inyr: int,
    amount_due: Decimal,
    vat: Decimal,
    invoice_date: str,
    due_date: str,
    accounting_date: str,
    description: str,
) -> dict[str, str]:
    return {
        "CONO": CONO,
        "DIVI": division,
        "YEA4": str(yea4),
        "JRNO": str(jrno),
        "JSNO": "1",
        "TRCD": trcd,
        "PYNO": customer.get("PYNO") or customer["CUNO"],
        "CUNO": customer["CUNO"],
        "CINO": cino,
        "INYR": str(inyr),
        "VSER": "",
        "VONO": str(jrno),
        "IVTP": "",
        "TDSC": description[:10],
        "CUCL": customer.get("CUCL", ""),
        "CUCD": customer.get("CUCD", ""),
        "CRTP": "1",
        "ARAT": "1",
        "CUAM": amount(amount_due),
        "VTAM": amount(vat),
        "IVDT": invoice_date,
        "DUDT": due_date,
        "ACDT": accounting_date,
        "TEPY": customer.get("TEPY", ""),
        "PYCD": customer.get("PYCD", ""),
        "RECO": RECO_OPEN,
        "REDE": "",
        "DTP5": "",
    }


def row(doc: dict[str, str]) -> tuple:
    return (
        int(doc["YEA4"]),
        int(doc["JRNO"]),
        int(doc["JSNO"]),
        doc["CUNO"],
        doc["CINO"],
        int(doc["INYR"]),
        doc["TRCD"],
        int(doc["LMTS"]),
        doc,
    )


def items_of(store: Store, cino: str, inyr: int) -> list[dict[str, str]]:
    return store.docs(
        "select doc from ar_items where cino = ? and inyr = ? order by yea4, jrno, jsno",
        (cino, inyr),
    )


def invoice_item(store: Store, cino: str, inyr: int | None = None) -> dict[str, str] | None:
    """The invoice's own open item (TRCD 10); the latest year when `inyr` is not given."""
    if inyr is None:
        return store.doc(
            "select doc from ar_items where cino = ? and trcd = ? order by inyr desc limit 1",
            (cino, TRCD_INVOICE),
        )
    return store.doc(
        "select doc from ar_items where cino = ? and inyr = ? and trcd = ?",
        (cino, inyr, TRCD_INVOICE),
    )


def remaining(store: Store, cino: str, inyr: int) -> Decimal:
    return sum((parse_decimal(item["CUAM"]) for item in items_of(store, cino, inyr)), Decimal("0"))


def paid(store: Store, cino: str, inyr: int) -> Decimal:
    return -sum(
        (
            parse_decimal(i["CUAM"])
            for i in items_of(store, cino, inyr)
            if i["TRCD"] == TRCD_PAYMENT
        ),
        Decimal("0"),
    )


def apply_payment(
    store: Store,
    *,
    invoice: dict[str, str],
    amount_paid: Decimal,
    payment_date: str,
    stamp: Stamp,
    user: str,
    text: str = "",
) -> dict[str, str]:
    """Book a payment against an invoice's open item; reconcile (RECO 9) when nothing remains.
    `text` is the payment's transaction description (TDSC), cut to its 10 characters."""
    cino, inyr = invoice["CINO"], int(invoice["INYR"])
    yea4 = int(payment_date[:4])
    jrno = store.next_number("ar_journal", 1000001)
    payment = {
        **invoice,
        "YEA4": str(yea4),
        "JRNO": str(jrno),
        "JSNO": "1",
        "TRCD": TRCD_PAYMENT,
        "VONO": str(jrno),
        "TDSC": text[:10],
        "CUAM": amount(-amount_paid),
        "VTAM": "0.00",
        "IVDT": payment_date,
        "ACDT": payment_date,
        "DTP5": payment_date,
    }
    touch(payment, stamp, user, new=True)
    store.insert("ar_items", dict(zip(AR_COLUMNS, row(payment)[:-1], strict=True)), payment)
    left = remaining(store, cino, inyr)
    for item in items_of(store, cino, inyr):
        item["DTP5"] = payment_date
        if left == 0:
            item["RECO"], item["REDE"] = RECO_PAID, payment_date
        touch(item, stamp, user)
        store.save(
            "ar_items",
            {"yea4": int(item["YEA4"]), "jrno": int(item["JRNO"]), "jsno": int(item["JSNO"])},
            item,
            lmts=stamp.lmts,
        )
    _update_invoice_remaining(store, cino, inyr, left, stamp, user)
    return payment


def _update_invoice_remaining(
    store: Store, cino: str, inyr: int, left: Decimal, stamp: Stamp, user: str
) -> None:
    if not cino.isdigit():
        return
    invoice = store.doc("select doc from invoices where ivno = ? and yea4 = ?", (int(cino), inyr))
    if invoice is None:
        return
    invoice["RAFC"] = amount(left)
    touch(invoice, stamp, user)
    store.save("invoices", {"ivno": int(cino)}, invoice, lmts=stamp.lmts)
