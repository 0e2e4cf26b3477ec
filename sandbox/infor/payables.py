"""Accounts payable open items (M3's FPLEDG): supplier invoices, payments, their reconciliation.

An approved supplier invoice batch (APS450MI) books one item (TRCD 40) for what the company
owes; a payment booked by a bank statement (ABS100MI, a detail that names the invoice's SINO)
books another (TRCD 50, the amount paid, negative). An invoice's items are reconciled (RECO 9)
once they add up to zero. A credit invoice (negative, naming the original in DNOI) is an item
of its own with the original's number in DNOI; it settles the original the same way.
"""

from __future__ import annotations

from decimal import Decimal

from sandbox.infor.company import (
    CONO,
    RECO_OPEN,
    RECO_PAID,
    TRCD_SUPPLIER_INVOICE,
    TRCD_SUPPLIER_PAYMENT,
)
from sandbox.infor.store import Stamp, Store, touch
from sandbox.infor.values import amount, parse_decimal

AP_COLUMNS = ("yea4", "jrno", "jsno", "suno", "sino", "trcd", "lmts")


def _row(doc: dict[str, str]) -> dict[str, object]:
    values = (
        int(doc["YEA4"]),
        int(doc["JRNO"]),
        int(doc["JSNO"]),
        doc["SUNO"],
        doc["SINO"],
        doc["TRCD"],
        int(doc["LMTS"]),
    )
    return dict(zip(AP_COLUMNS, values, strict=True))


def invoice_item(store: Store, supplier: str, sino: str) -> dict[str, str] | None:
    """The supplier invoice's own open item (TRCD 40)."""
    return store.doc(
        "select doc from ap_items where suno = ? and sino = ? and trcd = ?",
        (supplier, sino, TRCD_SUPPLIER_INVOICE),
    )


def items_of(store: Store, supplier: str, sino: str) -> list[dict[str, str]]:
    """The invoice's item, the payments on it, and the credit invoices that name it."""
    own = store.docs(
        "select doc from ap_items where suno = ? and sino = ? order by yea4, jrno, jsno",
        (supplier, sino),
    )
    credits = [
        doc
        for doc in store.docs(
            "select doc from ap_items where suno = ? and trcd = ? and sino <> ?",
            (supplier, TRCD_SUPPLIER_INVOICE, sino),
        )
        if doc.get("DNOI") == sino
    ]
    return own + credits


def remaining(store: Store, supplier: str, sino: str) -> Decimal:
    """What is still owed on the invoice (its item less payments and credits)."""
    return sum(
        (parse_decimal(item["CUAM"]) for item in items_of(store, supplier, sino)), Decimal(0)
    )


def book_invoice(store: Store, head: dict[str, str], *, stamp: Stamp, user: str) -> dict[str, str]:
    """The open item of an approved supplier invoice batch (a credit invoice's is negative)."""
    accounting_date = head.get("ACDT") or head["IVDT"]
    yea4 = int(accounting_date[:4])
    jrno = store.next_number("ap_journal", 2000001)
    item = {
        "CONO": CONO,
        "DIVI": head["DIVI"],
        "YEA4": str(yea4),
        "JRNO": str(jrno),
        "JSNO": "1",
        "TRCD": TRCD_SUPPLIER_INVOICE,
        "SPYN": head["SPYN"],
        "SUNO": head["SUNO"],
        "SINO": head["SINO"],
        "INYR": head["IVDT"][:4],
        "DNOI": head.get("DNOI", ""),
        "INBN": head["INBN"],
        "PUNO": head.get("PUNO", ""),
        "CUCD": head["CUCD"],
        "CUAM": head["CUAM"],
        "VTAM": head.get("VTAM") or "0.00",
        "IVDT": head["IVDT"],
        "DUDT": head.get("DUDT", ""),
        "ACDT": accounting_date,
        "VONO": str(jrno),
        "RECO": RECO_OPEN,
        "REDE": "",
    }
    touch(item, stamp, user, new=True)
    store.insert("ap_items", _row(item), item)
    original = item["DNOI"]
    _reconcile(store, item["SUNO"], original or item["SINO"], stamp, user, accounting_date)
    return item


def apply_payment(
    store: Store,
    *,
    invoice: dict[str, str],
    amount_paid: Decimal,
    payment_date: str,
    stamp: Stamp,
    user: str,
) -> dict[str, str]:
    """Book a payment on an invoice's open item; reconcile (RECO 9) when nothing is owed."""
    yea4 = int(payment_date[:4])
    jrno = store.next_number("ap_journal", 2000001)
    payment = {
        **invoice,
        "YEA4": str(yea4),
        "JRNO": str(jrno),
        "JSNO": "1",
        "TRCD": TRCD_SUPPLIER_PAYMENT,
        "DNOI": "",
        "VONO": str(jrno),
        "CUAM": amount(-amount_paid),
        "VTAM": "0.00",
        "ACDT": payment_date,
    }
    touch(payment, stamp, user, new=True)
    store.insert("ap_items", _row(payment), payment)
    _reconcile(store, invoice["SUNO"], invoice["SINO"], stamp, user, payment_date)
    return payment


def _reconcile(store: Store, supplier: str, sino: str, stamp: Stamp, user: str, on: str) -> None:
    items = items_of(store, supplier, sino)
    if not items or sum((parse_decimal(i["CUAM"]) for i in items), Decimal(0)) != 0:
        return
    for item in items:
        item["RECO"], item["REDE"] = RECO_PAID, on
        touch(item, stamp, user)
        key = {"yea4": int(item["YEA4"]), "jrno": int(item["JRNO"]), "jsno": int(item["JSNO"])}
        store.save("ap_items", key, item, lmts=stamp.lmts)
