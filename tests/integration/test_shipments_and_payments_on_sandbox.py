"""What flows back from Infor, synced on the sandbox (extract, dbt, push) and synced again:
shipments reach FreshBooks invoices already sent, and a payment that differs a little from
Infor's open amount is booked whole; each once, the next sync planning nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

import duckdb
import httpx
import pytest
from conftest import settings_for_home, start_variant

from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.models import Invoice
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.connectors.infor import InforClient
from ledgerlink.dbt import run_dbt
from ledgerlink.ops_schema import ensure_ops_schema
from ledgerlink.records import Rejected
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from pipelines.extract import extract
from reverse_etl.runner import Pusher, PushReport, select_syncs
from reverse_etl.targets import TargetWriters
from sandbox import runner

pytestmark = pytest.mark.integration

INVOICE_STATUS = ("freshbooks_invoice_status", "sync_freshbooks__invoice_status")
CASH_RECEIPTS = ("infor_cash_receipts", "sync_infor__cash_receipts")


@pytest.fixture(scope="module")
def small_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A small sandbox of its own (the tests read whole plans, which no other test may change
    meanwhile), with `settings` that talk to it."""
    home = tmp_path_factory.mktemp("flows-back") / ".ledgerlink"
    info = start_variant(home, scale=0.1)
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.chdir(home.parent)  # no stray .env from the checkout
            for key in list(os.environ):
                if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_", "PAYMENT_")):
                    monkeypatch.delenv(key)
            settings = settings_for_home(home, home)
            authorize_headless(settings, FreshBooksTokenManager(settings))
            yield {"settings": settings, "infor_url": info["urls"]["infor"]}
    finally:
        runner.stop(home)


def sync(settings: Settings, flow: tuple[str, str]) -> PushReport:
    """One sync of a flow: extract, build its sync model, push its rows."""
    name, model = flow
    extract(settings)
    with writer_lock(settings, "test (ops schema)"), connect(settings, read_only=False) as con:
        ensure_ops_schema(con)
    run_dbt(
        settings, "build", "--select", f"+{model}",
        "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
    )  # fmt: skip
    with (
        writer_lock(settings, "test push"),
        connect(settings, read_only=False) as con,
        TargetWriters(settings) as writers,
    ):
        return Pusher(con, writers).push(select_syncs([name]))


def planned(settings: Settings, flow: tuple[str, str]) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(f"select natural_key from sync.{flow[1]}").fetchall()


def live_invoices(api: FreshBooksClient) -> list[Invoice]:
    return [i for i in api.list("invoices") if not isinstance(i, Rejected) and not i.deleted]


def ship_an_order_for(infor: InforClient, infor_url: str, invoice_number: str) -> dict:
    """An Infor order for the invoice (CUOR = its number) of a US customer, confirmed and
    shipped: the ship control's answer (ORNO, DLIX, CONN) and the customer (CUNO)."""
    m3 = infor.m3
    customers = m3.execute("CRS610MI", "LstByNumber", {}, maxrecs=50).records
    customer = next(c["CUNO"] for c in customers if c.get("CUCD") == "USD")
    item = next(i.item_number for i in infor.items.list_items() if i.status != "90")
    batch = m3.execute(
        "OIS100MI", "AddBatchHead", {"CUNO": customer, "CUOR": invoice_number}
    ).records[0]["ORNO"]
    m3.execute("OIS100MI", "AddBatchLine", {"ORNO": batch, "ITNO": item, "ORQT": "1"})
    order = m3.execute("OIS100MI", "Confirm", {"ORNO": batch}).records[0]["ORNO"]
    response = httpx.post(f"{infor_url}/_sandbox/infor/orders/{order}/ship", timeout=30)
    response.raise_for_status()
    return response.json() | {"CUNO": customer}


def test_sent_invoices_whose_orders_ship_get_the_reference_once(small_sandbox: dict):
    settings, infor_url = small_sandbox["settings"], small_sandbox["infor_url"]
    with FreshBooksClient.from_settings(settings) as api:
        invoices = live_invoices(api)
        with_po = next(
            i for i in invoices if i.display_status == "sent" and i.v3_status != "paid"
            and (i.po_number or "").startswith("PO-")
        )  # fmt: skip
        paid = next(i for i in invoices if i.v3_status == "paid" and not i.po_number)
    with InforClient.from_settings(settings) as infor:
        shipments = {
            invoice.invoice_number: ship_an_order_for(infor, infor_url, invoice.invoice_number)
            for invoice in (with_po, paid)
        }

    first = sync(settings, INVOICE_STATUS)

    assert first.ok, [e for s in first.syncs for e in s.errors][:5]
    assert first.total("updated") >= 2
    expected = {
        number: f"M3 delivery {shipped['DLIX']} shipment {shipped['CONN']}"
        for number, shipped in shipments.items()
    }
    expected[with_po.invoice_number] = f"{with_po.po_number} / {expected[with_po.invoice_number]}"
    with FreshBooksClient.from_settings(settings) as api:
        for before in (with_po, paid):
            after = api.get("invoices", before.id)
            assert after.po_number == expected[before.invoice_number]
            assert (after.v3_status, after.display_status, after.amount, after.outstanding) == (
                before.v3_status, before.display_status, before.amount, before.outstanding,
            )  # fmt: skip

    second = sync(settings, INVOICE_STATUS)

    assert planned(settings, INVOICE_STATUS) == []
    assert second.total("updated") == 0 and second.total("created") == 0


def test_a_payment_over_the_open_amount_within_the_tolerance_is_booked_whole_once(
    small_sandbox: dict,
):
    """Planned by dbt, pushed, read back: the invoice detail settles Infor's open amount, the
    difference detail carries the rest, AR reconciles, and the next sync plans nothing."""
    settings, infor_url = small_sandbox["settings"], small_sandbox["infor_url"]
    with FreshBooksClient.from_settings(settings) as api:
        invoice = max(
            (
                i for i in live_invoices(api)
                if i.v3_status in ("sent", "viewed") and i.currency_code == "USD"
            ),
            key=lambda i: i.outstanding.amount,
        )  # fmt: skip
    with InforClient.from_settings(settings) as infor:
        shipped = ship_an_order_for(infor, infor_url, invoice.invoice_number)
        response = httpx.post(
            f"{infor_url}/_sandbox/infor/orders/{shipped['ORNO']}/invoice", timeout=30
        )
        response.raise_for_status()
        invoiced = response.json()
    open_amount = Decimal(invoiced["AMT1"])
    received = open_amount + Decimal("0.30")  # the tolerance is 1.00
    assert received < invoice.outstanding.amount  # a part payment in FreshBooks' eyes
    with FreshBooksClient.from_settings(settings) as api:
        payment = api.create(
            "payments",
            {
                "invoiceid": invoice.id,
                "amount": {"amount": f"{received:.2f}", "code": "USD"},
                "date": invoice.create_date.isoformat(),
                "type": "Check",
            },
        )

    first = sync(settings, CASH_RECEIPTS)

    assert first.ok, [e for s in first.syncs for e in s.errors][:5]
    statement = f"FBP{payment.id}"
    response = httpx.get(f"{infor_url}/_sandbox/infor/statements/{statement}", timeout=10)
    (posted,) = response.json()["statements"]
    assert [line["BLLF"] for line in posted["lines"]] == [f"{received:.2f}"]
    assert [(d.get("CINO"), d.get("BLBC"), d["BLNF"]) for d in posted["details"]] == [
        (invoiced["IVNO"], None, f"{open_amount:.2f}"),
        (None, "PAYDIF", "0.30"),
    ]
    with InforClient.from_settings(settings) as infor:
        (item,) = infor.receivables.find_invoice(shipped["CUNO"], invoiced["IVNO"])
    assert item.reconciliation_code == "9"

    second = sync(settings, CASH_RECEIPTS)

    assert (statement,) not in planned(settings, CASH_RECEIPTS)
    assert second.total("created") == 0
    response = httpx.get(f"{infor_url}/_sandbox/infor/statements/{statement}", timeout=10)
    assert len(response.json()["statements"]) == 1
