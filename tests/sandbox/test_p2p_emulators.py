"""Procure to pay on the emulators over real HTTP: FreshBooks bills, vendors and bill payments;
M3 suppliers, purchase orders, receipts, supplier invoices, AP open items and item balances."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import clear_faults, reset_emulator
from test_infor_emulator import M3

pytestmark = pytest.mark.integration

# The first seeded supplier and purchase order (sandbox.infor.seed).
SUPPLIER = "S1001"
FIRST_PO = "2000000001"


@pytest.fixture(scope="module")
def infor(sandbox: dict) -> Iterator[M3]:
    ionapi = json.loads(Path(sandbox["environment"]["INFOR_IONAPI_FILE"]).read_text())
    client = M3(sandbox["urls"]["infor"], ionapi)
    yield client
    client.http.close()


@pytest.fixture
def m3(infor: M3) -> Iterator[M3]:
    """The seeded company again; the same afterwards for the next test."""
    reset_emulator(infor.url)
    yield infor
    reset_emulator(infor.url)
    clear_faults(infor.url)


def _account_line(m3: M3, inbn: str, net: str, vat: str = "0") -> None:
    m3.ok("APS450MI", "AddLine", INBN=inbn, RDTP="8", AO01="6550", NLAM=net, VTA1=vat)


# --- M3: supplier invoices (APS450MI) and AP open items -------------------------------------------
def test_supplier_invoice_balances_then_books_an_open_item(m3: M3) -> None:
    inbn = m3.one(
        "APS450MI", "AddHead", SUNO=SUPPLIER, IVDT="20260102", SINO="INV-1", CUAM="107.50"
    )["INBN"]
    _account_line(m3, inbn, "100.00", "7.50")
    head = m3.one("APS450MI", "GetHead", INBN=inbn)
    assert (head["SUPA"], head["TLNA"], head["CUAM"]) == ("10", "100.00", "107.50")
    m3.ok("APS450MI", "ApproveInvoice", INBN=inbn)
    assert m3.one("APS450MI", "GetHead", INBN=inbn)["SUPA"] == "50"
    found = m3.ok("APS450MI", "LstInvBySupInv", SPYN=SUPPLIER, SUNO=SUPPLIER, SINO="INV-1")
    assert [(r["INBN"], r["SUPA"]) for r in found] == [(inbn, "50")]
    # One supplier invoice number per supplier: a second batch with it is refused.
    m3.fails(
        "APS450MI", "AddHead", "XRE0102", "SINO",
        SUNO=SUPPLIER, IVDT="20260102", SINO="INV-1", CUAM="1",
    )  # fmt: skip


def test_an_unbalanced_supplier_invoice_is_refused(m3: M3) -> None:
    inbn = m3.one("APS450MI", "AddHead", SUNO=SUPPLIER, IVDT="20260102", SINO="INV-2", CUAM="3.47")[
        "INBN"
    ]
    for _ in range(3):
        _account_line(m3, inbn, "1.10", "0.06")
    refused = m3.fails("APS450MI", "ApproveInvoice", "XBA0001", "CUAM", INBN=inbn)
    assert "does not balance" in refused["errorMessage"]
    assert m3.one("APS450MI", "GetHead", INBN=inbn)["SUPA"] == "10"
    m3.ok("APS450MI", "RejectInvoice", INBN=inbn)
    assert m3.one("APS450MI", "GetHead", INBN=inbn)["SUPA"] == "90"
    # A rejected batch frees its number.
    m3.ok("APS450MI", "AddHead", SUNO=SUPPLIER, IVDT="20260102", SINO="INV-2", CUAM="3.48")


def test_supplier_invoice_inputs_are_enforced(m3: M3) -> None:
    m3.fails("APS450MI", "AddHead", "XRE0103", "IVDT", SUNO=SUPPLIER)
    m3.fails(
        "APS450MI", "AddHead", "XLE0001", "SINO", SUNO=SUPPLIER, IVDT="20260102", SINO="X" * 25
    )
    m3.fails("APS450MI", "AddHead", "XIM0002", "SUNO", SUNO="NOSUCH", IVDT="20260102")
    inbn = m3.one("APS450MI", "AddHead", SUNO=SUPPLIER, IVDT="20260102", SINO="INV-3")["INBN"]
    m3.fails("APS450MI", "AddLine", "XVA0001", "RDTP", INBN=inbn, RDTP="5")
    m3.fails("APS450MI", "ApproveInvoice", "XBA0001", "INBN", INBN=inbn)
