"""Infor ships the orders of invoices FreshBooks already sent: one sync (extract, dbt, push)
puts the Infor reference on them, keeping their state, and the next one plans nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator

import duckdb
import httpx
import pytest
from conftest import settings_for_home, start_variant

from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.models import Invoice
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.connectors.infor import InforClient
from ledgerlink.dbt import run_dbt
from ledgerlink.records import Rejected
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect, writer_lock
from pipelines.extract import extract
from reverse_etl.ledger_schema import ensure_ops_schema
from reverse_etl.runner import Pusher, PushReport, select_syncs
from reverse_etl.targets import TargetWriters
from sandbox import runner

pytestmark = pytest.mark.integration

SYNC = "freshbooks_invoice_status"
MODEL = "sync_freshbooks__invoice_status"


@pytest.fixture(scope="module")
def small_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A small sandbox of its own (the test reads the whole plan, which no other test may
    change meanwhile), with `settings` that talk to it."""
    home = tmp_path_factory.mktemp("shipment-reference") / ".ledgerlink"
    info = start_variant(home, scale=0.1)
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.chdir(home.parent)  # no stray .env from the checkout
            for key in list(os.environ):
                if key.startswith(("FRESHBOOKS_", "INFOR_", "SHOP_", "LEDGERLINK_")):
                    monkeypatch.delenv(key)
            settings = settings_for_home(home, home)
            authorize_headless(settings, FreshBooksTokenManager(settings))
            yield {"settings": settings, "infor_url": info["urls"]["infor"]}
    finally:
        runner.stop(home)


def sync(settings: Settings) -> PushReport:
    """One sync of the invoice-status flow: extract, build the model, push its rows."""
    extract(settings)
    with writer_lock(settings, "test (ops schema)"), connect(settings, read_only=False) as con:
        ensure_ops_schema(con)
    run_dbt(
        settings, "build", "--select", f"+{MODEL}",
        "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test", quiet=True,
    )  # fmt: skip
    with (
        writer_lock(settings, "test push"),
        connect(settings, read_only=False) as con,
        TargetWriters(settings) as writers,
    ):
        return Pusher(con, writers).push(select_syncs([SYNC]))


def planned(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(f"select natural_key, po_number from sync.{MODEL}").fetchall()


def live_invoices(api: FreshBooksClient) -> list[Invoice]:
    return [i for i in api.list("invoices") if not isinstance(i, Rejected) and not i.deleted]


def ship_an_order_for(infor: InforClient, infor_url: str, invoice_number: str) -> dict:
    """An Infor order for the invoice (CUOR = its number), confirmed and shipped."""
    m3 = infor.m3
    customer = m3.execute("CRS610MI", "LstByNumber", {}, maxrecs=1).records[0]["CUNO"]
    item = next(i.item_number for i in infor.items.list_items() if i.status != "90")
    batch = m3.execute(
        "OIS100MI", "AddBatchHead", {"CUNO": customer, "CUOR": invoice_number}
    ).records[0]["ORNO"]
    m3.execute("OIS100MI", "AddBatchLine", {"ORNO": batch, "ITNO": item, "ORQT": "1"})
    order = m3.execute("OIS100MI", "Confirm", {"ORNO": batch}).records[0]["ORNO"]
    response = httpx.post(f"{infor_url}/_sandbox/infor/orders/{order}/ship", timeout=30)
    response.raise_for_status()
    return response.json()


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

    first = sync(settings)

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

    second = sync(settings)

    assert planned(settings) == []
    assert second.total("updated") == 0 and second.total("created") == 0
