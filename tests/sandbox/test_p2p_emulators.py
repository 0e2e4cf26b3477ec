"""Procure to pay on the emulators over real HTTP: FreshBooks bills, vendors and bill payments;
M3 suppliers, purchase orders, receipts, supplier invoices, AP open items and item balances."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from conftest import clear_faults, reset_emulator
from test_freshbooks_emulator import Api, Receiver, authorize
from test_infor_emulator import M3

from sandbox.freshbooks.seed import BILL_BASE, VENDOR_BASE
from sandbox.generator import (
    PLANTED_DUPLICATE_BILL,
    PLANTED_UNBALANCED_BILL,
    PLANTED_UNMAPPED_BILL,
    World,
)

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


@pytest.fixture(scope="module")
def freshbooks(sandbox: dict) -> Iterator[Api]:
    url, env = sandbox["urls"]["freshbooks"], sandbox["environment"]
    with httpx.Client(base_url=url, timeout=30) as http:
        tokens = authorize(url, env, http)
        http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        me = http.get("/auth/api/v1/users/me").json()["response"]
        account_id = me["business_memberships"][0]["business"]["account_id"]
        yield Api(
            url, http, account_id, env["FRESHBOOKS_CLIENT_ID"], env["FRESHBOOKS_CLIENT_SECRET"]
        )


@pytest.fixture
def fb(freshbooks: Api) -> Iterator[Api]:
    """The seeded account again, with a new token; the same afterwards for the next test."""
    reset_emulator(freshbooks.url)
    token = freshbooks.control("tokens/issue")["access_token"]
    freshbooks.http.headers["Authorization"] = f"Bearer {token}"
    yield freshbooks
    reset_emulator(freshbooks.url)


WORLD = World()  # the session sandbox's (seed 42, scale 1.0)


def _all(api: Api, resource: str, **params: object) -> list[dict]:
    found, page = [], 1
    while True:
        result = api.result(api.get(resource, per_page=100, page=page, **params))
        found += result[resource.split("/")[1]]
        if page >= result["pages"]:
            return found
        page += 1


def _money(value: dict) -> Decimal:
    return Decimal(value["amount"])


def _category_id(api: Api, name: str) -> int:
    categories = _all(api, "expenses/categories")
    return next(c["id"] for c in categories if c["category"] == name)


# --- FreshBooks: bill vendors, bills, bill payments ----------------------------------------------
def test_seeded_bills_vendors_and_payments(fb: Api) -> None:
    vendors = _all(fb, "bill_vendors/bill_vendors")
    expected = [s.freshbooks_name for s in WORLD.p2p_suppliers if s.in_freshbooks]
    assert sorted(v["vendor_name"] for v in vendors) == sorted(expected)
    vendor = vendors[0]
    assert {"vendorid", "vendor_name", "currency_code", "account_number", "primary_contact_email",
            "created_at", "updated_at", "vis_state", "tax_defaults"} <= set(vendor)  # fmt: skip
    bills = _all(fb, "bills/bills")
    live = [b for b in WORLD.iter_bills() if not b.deleted]
    assert len(bills) == len(live)
    assert len(_all(fb, "bills/bills", search__vis_state=1)) == WORLD.bill_count - len(live)
    for bill in bills:
        lines = bill["lines"]
        assert _money(bill["amount"]) == sum(_money(line["amount"]) for line in lines)
        taxes = [_money(line["tax_amount1"]) for line in lines if line["tax_amount1"]]
        assert _money(bill["tax_amount"]) == sum(taxes, Decimal(0))
        assert _money(bill["total_amount"]) == _money(bill["amount"]) + _money(bill["tax_amount"])
        paid = sum((_money(p["amount"]) for p in bill["bill_payments"]), Decimal(0))
        assert _money(bill["paid"]) == paid
        assert _money(bill["outstanding"]) == _money(bill["total_amount"]) - paid
        assert bill["vendor"]["vendorid"] == bill["vendorid"]
        assert {"tax_name1", "tax_percent1", "tax_amount1", "list_index", "categoryid"} <= set(
            lines[0]
        )
    assert {b["status"] for b in bills} == {"unpaid", "partial", "paid"}
    page = fb.result(fb.get("bills/bills", per_page=5, page=2))
    assert (page["page"], page["per_page"], page["total"]) == (2, 5, len(bills))
    assert [b["id"] for b in page["bills"]] == [b["id"] for b in bills[5:10]]
    assert fb.result(fb.get("bills/bills", per_page=5, page=99))["bills"] == []
    payments = _all(fb, "bill_payments/bill_payments")
    assert len(payments) == sum(len(b.payments) for b in WORLD.iter_bills())
    assert {"id", "billid", "amount", "payment_type", "paid_date", "note", "vis_state"} <= set(
        payments[0]
    )


def test_bill_timestamps_are_utc(fb: Api) -> None:
    """Unlike invoices (US/Eastern), bills and vendors stamp created_at/updated_at in UTC."""
    bill = WORLD.bill(0)
    got = fb.result(fb.get("bills/bills", BILL_BASE + 1 + bill.index))["bill"]
    assert got["created_at"] == bill.created_at.strftime("%Y-%m-%d %H:%M:%S")
    assert got["updated_at"] == bill.updated_at.strftime("%Y-%m-%d %H:%M:%S")
    supplier = next(s for s in WORLD.p2p_suppliers if s.in_freshbooks)
    vendor = fb.result(fb.get("bill_vendors/bill_vendors", VENDOR_BASE + 1 + supplier.index))
    assert vendor["bill_vendor"]["created_at"] == supplier.created_at.strftime("%Y-%m-%d %H:%M:%S")
    # An updated_min day is a UTC day for bills: a bill updated at 01:00 UTC is on that day.
    day = bill.updated_at.date().isoformat()
    found = _all(fb, "bills/bills", search__updated_min=day, search__updated_max=day)
    assert BILL_BASE + 1 + bill.index in {b["id"] for b in found}
    assert all(b["updated_at"][:10] == day for b in found)


def test_create_bill_then_pay_it(fb: Api) -> None:
    vendor = fb.result(
        fb.post(
            "bill_vendors/bill_vendors",
            {"bill_vendor": {"vendor_name": "Hooli Parts", "currency_code": "CAD"}},
        )
    )["bill_vendor"]
    supplies = _category_id(fb, "Supplies")
    body = {
        "bill": {
            "vendorid": vendor["vendorid"],
            "issue_date": "2026-01-02",
            "due_offset_days": 30,
            "bill_number": "HP-1",
            "lines": [
                {"categoryid": supplies, "description": "Bolts", "quantity": 10,
                 "unit_cost": {"amount": "2.50", "code": "CAD"},
                 "tax_name1": "GST", "tax_percent1": "5"},
                {"categoryid": supplies, "description": "Nuts", "quantity": 4,
                 "unit_cost": {"amount": "1.25"}},
            ],
        }
    }  # fmt: skip
    bill = fb.result(fb.post("bills/bills", body))["bill"]
    assert (bill["currency_code"], bill["status"], bill["due_date"]) == (
        "CAD",
        "unpaid",
        "2026-02-01",
    )
    assert bill["amount"] == {"amount": "30.00", "code": "CAD"}
    assert bill["lines"][0]["tax_amount1"] == {"amount": "1.25", "code": "CAD"}
    assert (_money(bill["total_amount"]), _money(bill["outstanding"])) == (
        Decimal("31.25"), Decimal("31.25"),
    )  # fmt: skip
    payment = {
        "billid": bill["id"],
        "amount": {"amount": "20.00"},
        "payment_type": "Check",
        "paid_date": "2026-01-03",
    }
    paid = fb.result(fb.post("bill_payments/bill_payments", {"bill_payment": payment}))
    payment_id = paid["bill_payment"]["id"]
    bill = fb.result(fb.get("bills/bills", bill["id"]))["bill"]
    assert (bill["status"], bill["paid"]["amount"], bill["outstanding"]["amount"]) == (
        "partial", "20.00", "11.25",
    )  # fmt: skip
    assert [p["id"] for p in bill["bill_payments"]] == [payment_id]
    # More than is outstanding is refused in the accounting error shape.
    too_much = fb.post(
        "bill_payments/bill_payments",
        {"bill_payment": {**payment, "amount": {"amount": "11.26"}}},
    )
    assert too_much.status_code == 422
    error = too_much.json()["response"]["errors"][0]
    assert (error["field"], error["object"]) == ("amount", "bill_payment")
    fb.result(
        fb.post(
            "bill_payments/bill_payments",
            {"bill_payment": {**payment, "amount": {"amount": "11.25"}}},
        )
    )
    bill = fb.result(fb.get("bills/bills", bill["id"]))["bill"]
    assert (bill["status"], bill["outstanding"]["amount"]) == ("paid", "0.00")
    # Deleting a payment (vis_state) reopens the bill; deleting the bill hides it from lists.
    fb.result(fb.put("bill_payments/bill_payments", payment_id, {"bill_payment": {"vis_state": 1}}))
    bill = fb.result(fb.get("bills/bills", bill["id"]))["bill"]
    assert (bill["status"], bill["outstanding"]["amount"]) == ("partial", "20.00")
    fb.result(fb.put("bills/bills", bill["id"], {"bill": {"vis_state": 1, "bill_number": "X"}}))
    bill = fb.result(fb.get("bills/bills", bill["id"]))["bill"]
    assert (bill["vis_state"], bill["bill_number"]) == (1, "HP-1")  # the rest was thrown away
    assert bill["id"] not in {b["id"] for b in _all(fb, "bills/bills")}


def test_bill_validation_errors(fb: Api) -> None:
    missing = fb.post("bills/bills", {"bill": {"issue_date": "2026-01-02"}})
    assert missing.status_code == 422
    assert missing.json()["response"]["errors"][0]["field"] == "vendorid"
    vendorid = VENDOR_BASE + 1
    no_lines = fb.post("bills/bills", {"bill": {"vendorid": vendorid, "issue_date": "2026-01-02"}})
    assert no_lines.status_code == 422
    assert no_lines.json()["response"]["errors"][0]["field"] == "lines"
    line = {"categoryid": 1, "unit_cost": {"amount": "1"}}
    unknown = fb.post(
        "bills/bills",
        {"bill": {"vendorid": vendorid, "issue_date": "2026-01-02", "lines": [line]}},
    )
    assert unknown.status_code == 422
    assert unknown.json()["response"]["errors"][0]["field"] == "categoryid"
    assert fb.get("bills/bills", 1).status_code == 404
    nameless = fb.post("bill_vendors/bill_vendors", {"bill_vendor": {"currency_code": "USD"}})
    assert nameless.status_code == 422


def test_bill_and_vendor_events_reach_a_callback(fb: Api) -> None:
    receiver = Receiver()
    try:
        callbacks = f"/events/account/{fb.account_id}/events/callbacks"
        ids = []
        for event in ("bill", "bill_vendor.create"):
            created = fb.http.post(
                callbacks, json={"callback": {"event": event, "uri": receiver.url}}
            )
            callback_id = created.json()["response"]["result"]["callback"]["callbackid"]
            verifier = dict(receiver.next()[1])["verifier"]
            fb.http.put(f"{callbacks}/{callback_id}", json={"callback": {"verifier": verifier}})
            ids.append(callback_id)
        # Bill payments are no event noun: a subscription to them is refused.
        refused = fb.http.post(
            callbacks, json={"callback": {"event": "bill_payment.create", "uri": receiver.url}}
        )
        assert refused.status_code == 400
        vendor = fb.result(
            fb.post("bill_vendors/bill_vendors", {"bill_vendor": {"vendor_name": "Hooli"}})
        )["bill_vendor"]
        line = {"categoryid": _category_id(fb, "Utilities"), "unit_cost": {"amount": "9.99"}}
        body = {"vendorid": vendor["vendorid"], "issue_date": "2026-01-02", "lines": [line]}
        bill = fb.result(fb.post("bills/bills", {"bill": body}))["bill"]
        fb.result(fb.put("bills/bills", bill["id"], {"bill": {"vis_state": 1}}))
        got = sorted(
            (form["name"], form["object_id"])
            for form in (dict(receiver.next()[1]) for _ in range(3))
        )
        assert got == sorted(
            [
                ("bill.create", str(bill["id"])),
                ("bill.delete", str(bill["id"])),
                ("bill_vendor.create", str(vendor["vendorid"])),
            ]
        )
        for callback_id in ids:
            fb.http.delete(f"{callbacks}/{callback_id}")
    finally:
        receiver.close()


def test_planted_bill_problems_are_served(fb: Api) -> None:
    bills = {b["id"]: b for b in _all(fb, "bills/bills")}
    unmapped = bills[BILL_BASE + 1 + PLANTED_UNMAPPED_BILL]
    assert "Cryptocurrency Fees" in {line["category"] for line in unmapped["lines"]}
    duplicate = bills[BILL_BASE + 1 + PLANTED_DUPLICATE_BILL]
    twins = [b for b in bills.values() if b["bill_number"] == duplicate["bill_number"]]
    assert len(twins) == 2 and len({b["vendorid"] for b in twins}) == 1


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


# --- M3: the seeded procurement -------------------------------------------------------------------
def _supplier_number(name: str) -> str:
    return next(s.supplier_number for s in WORLD.p2p_suppliers if s.freshbooks_name == name)


def _p2p_orders(m3: M3) -> dict[str, list[dict]]:
    """The lines of the seeded purchase orders of the procure-to-pay suppliers, by PUNO."""
    ours = {s.supplier_number for s in WORLD.p2p_suppliers if s.in_infor}
    count = m3.control("GET", "/infor/counts").json()["purchase_orders"]
    heads = [m3.one("PPS200MI", "GetHead", PUNO=str(2000000001 + n)) for n in range(count)]
    return {
        h["PUNO"]: m3.ok("PPS200MI", "LstLine", PUNO=h["PUNO"]) for h in heads if h["SUNO"] in ours
    }


def test_seeded_suppliers_and_their_contacts(m3: M3) -> None:
    # Planted problem: one business spelled two ways; the AP contact's e-mail is the same.
    spelled = next(s for s in WORLD.p2p_suppliers if s.how_matched == "email")
    suno = _supplier_number(spelled.freshbooks_name)
    assert m3.one("CRS620MI", "GetBasicData", SUNO=suno)["SUNM"] == "INITECH FASTENING SYSTEMS"
    [contact] = m3.ok("CRS620MI", "LstSupplierRef", SUNO=suno)
    assert contact["EMAL"] == spelled.email
    by_account = next(s for s in WORLD.p2p_suppliers if s.how_matched == "account")
    supplier = m3.one("CRS620MI", "GetBasicData", SUNO=by_account.supplier_number)
    assert supplier["OUCN"] == by_account.account_number
    m3.ok("CRS620MI", "AddSupplierRef", SUNO=suno, RFTY="02", RFID="SALES", YRE1="Sales desk")
    assert len(m3.ok("CRS620MI", "LstSupplierRef", SUNO=suno)) == 2
    assert len(m3.ok("CRS620MI", "LstSupplierRef", SUNO=suno, RFTY="02")) == 1
    m3.fails(
        "CRS620MI", "AddSupplierRef", "XRE0102", "RFID",
        SUNO=suno, RFTY="02", RFID="SALES", YRE1="Again",
    )  # fmt: skip
    m3.fails("CRS620MI", "AddSupplierRef", "XLE0001", "RFID", SUNO=suno, RFTY="02",
             RFID="X" * 11, YRE1="Too long")  # fmt: skip


def test_seeded_purchase_orders_received_in_whole_in_part_or_not(m3: M3) -> None:
    orders = _p2p_orders(m3)
    assert len(orders) == WORLD.purchase_order_count
    assert {line["PUSL"] for lines in orders.values() for line in lines} == {"20", "75", "85"}
    # The first order's supplier invoice is approved and open in AP; the paid one reconciled.
    ap = _ap_ledger(m3)
    invoiced = [o for o in WORLD.iter_purchase_orders() if o.supplier_invoice]
    assert {row["EPSINO"] for row in ap if row["EPTRCD"] == "40"} >= {
        o.supplier_invoice for o in invoiced
    }
    for order in invoiced:
        items = [row for row in ap if row["EPSINO"] == order.supplier_invoice]
        assert {row["EPRECO"] for row in items} == ({"9"} if order.invoice_paid else {"0"})
        owed = sum((Decimal(row["EPCUAM"]) for row in items), Decimal(0))
        assert owed == (0 if order.invoice_paid else order.received_amount)


def _ap_ledger(m3: M3) -> list[dict]:
    fields = ["EPSUNO", "EPSINO", "EPTRCD", "EPCUAM", "EPRECO"]
    rows = m3.ok("EXPORTMI", "Select", QERY=f"{', '.join(fields)} from FPLEDG", SEPC=";")
    return [dict(zip(fields, row["REPL"].split(";"), strict=True)) for row in rows]


def test_a_goods_receipt_receives_the_order_line_and_adds_stock(m3: M3) -> None:
    line = next(
        lines[0] for lines in _p2p_orders(m3).values() if {x["PUSL"] for x in lines} == {"20"}
    )
    waiting = {"PUNO": line["PUNO"]}
    itno, ordered = line["ITNO"], Decimal(line["ORQA"])
    before = m3.one("MMS060MI", "LstNewItemBal", ITNO=itno)
    since = m3.one("PPS200MI", "GetServerTime")["LMTS"]
    receipt = {"TRDT": "20260105", "RESP": "BUYER", "PUNO": waiting["PUNO"],
               "PNLI": line["PNLI"], "PNLS": 0}  # fmt: skip
    m3.fails("PPS001MI", "Receipt", "XVA0001", "RVQA", **receipt, RVQA=ordered + 1)
    m3.fails("PPS001MI", "Receipt", "XRE0103", "RESP", **{**receipt, "RESP": ""}, RVQA=1)
    first = m3.one("PPS001MI", "Receipt", **receipt, RVQA=1)
    assert (first["ITNO"], first["WHLO"]) == (itno, "A01")
    part = m3.one("PPS200MI", "GetLine", PUNO=waiting["PUNO"], PNLI=line["PNLI"])
    assert (part["RVQA"], part["PUSL"]) == ("1", "75")
    m3.one("PPS001MI", "Receipt", **receipt, RVQA=ordered - 1)
    done = m3.one("PPS200MI", "GetLine", PUNO=waiting["PUNO"], PNLI=line["PNLI"])
    assert (Decimal(done["RVQA"]), done["PUSL"], done["RCDT"]) == (ordered, "85", "20260105")
    m3.fails("PPS001MI", "Receipt", "XST0001", "PNLI", **receipt, RVQA=1)
    after = m3.one("MMS060MI", "LstNewItemBal", ITNO=itno, LMTS=since)
    assert Decimal(after["STQT"]) == Decimal(before["STQT"]) + ordered
    listed = {b["ITNO"]: b for b in m3.ok("MMS060MI", "LstBalID", WHLO="A01", maxrecs=0)}
    assert listed[itno]["STQT"] == after["STQT"]
    assert m3.ok("MMS060MI", "LstNewItemBal", ITNO=itno, LMTS=int(since) + 10**9) == []


def test_a_supplier_payment_settles_the_ap_item(m3: M3) -> None:
    supplier = "S2001"
    inbn = m3.one(
        "APS450MI", "AddHead", SUNO=supplier, IVDT="20260102", SINO="PAY-1", CUAM="200.00"
    )["INBN"]
    _account_line(m3, inbn, "200.00")
    m3.ok("APS450MI", "ApproveInvoice", INBN=inbn)

    def pay(stmn: str, value: str) -> dict:
        job = m3.one("ABS100MI", "AddStatmtHead", CONO=100, DIVI="AAA", BSTY=1, STMN=stmn,
                     BSID="US-OPERATING", CUCD="USD")  # fmt: skip
        key = {"DIVI": "AAA", "JBNO": job["JBNO"], "JBDT": job["JBDT"], "JBTM": job["JBTM"]}
        m3.one("ABS100MI", "AddStatmtLine", **key, BLSN=1, BLLF=value, SPYN=supplier,
               ACDT="20260110")  # fmt: skip
        return key

    key = pay("AP-1", "-150.00")
    m3.fails("ABS100MI", "AddStatmtDetail", "XVA0001", "BLNF", **key, BLSN=1, BLSS=1,
             SINO="PAY-1", BLNF="150.00")  # fmt: skip
    m3.ok("ABS100MI", "AddStatmtDetail", **key, BLSN=1, BLSS=1, SINO="PAY-1", BLNF="-150.00")
    m3.ok("ABS100MI", "ValidateStatmt", **key)
    items = [row for row in _ap_ledger(m3) if row["EPSINO"] == "PAY-1"]
    assert sorted(Decimal(row["EPCUAM"]) for row in items) == [Decimal("-150"), Decimal("200")]
    assert {row["EPRECO"] for row in items} == {"0"}
    key = pay("AP-2", "-50.00")
    m3.fails("ABS100MI", "AddStatmtDetail", "XVA0001", "BLNF", **key, BLSN=1, BLSS=1,
             SINO="PAY-1", BLNF="-50.01")  # fmt: skip
    m3.ok("ABS100MI", "AddStatmtDetail", **key, BLSN=1, BLSS=1, SINO="PAY-1", BLNF="-50.00")
    m3.ok("ABS100MI", "ValidateStatmt", **key)
    items = [row for row in _ap_ledger(m3) if row["EPSINO"] == "PAY-1"]
    assert {row["EPRECO"] for row in items} == {"9"}


def test_the_planted_unbalanced_supplier_invoice_cannot_be_approved(m3: M3) -> None:
    bill = WORLD.bill(PLANTED_UNBALANCED_BILL)
    suno = next(s.supplier_number for s in WORLD.p2p_suppliers if s.index == bill.supplier_index)
    [batch] = m3.ok("APS450MI", "LstInvBySupInv", SPYN=suno, SUNO=suno, SINO=bill.number)
    assert batch["SUPA"] == "10"
    refused = m3.fails("APS450MI", "ApproveInvoice", "XBA0001", "CUAM", INBN=batch["INBN"])
    assert "does not balance" in refused["errorMessage"]
