"""Entities with no rows and optional fields never filled, in all three emulators."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from variant_clients import every, freshbooks_client, m3_client, money, running_variant

from sandbox.options import OPTIONAL_FIELDS

pytestmark = pytest.mark.integration

EMPTY = (
    "freshbooks.credit_notes",
    "infor.suppliers",
    "infor.gl_voucher_lines",
    "infor.customer_invoices",
    "shop.customers",
)


@pytest.fixture(scope="module")
def info(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("empty-and-null") / ".ledgerlink"
    with running_variant(home, empty=EMPTY, null_fields=("all",)) as started:
        yield started


def test_empty_freshbooks_entities_list_nothing(info: dict) -> None:
    api = freshbooks_client(info)
    assert every(api, "credit_notes/credit_notes") == []
    assert every(api, "credit_notes/credit_notes", search__vis_state=1) == []
    assert every(api, "invoices/invoices")  # the others are there


def test_empty_m3_entities_list_nothing_and_the_rest_stays_consistent(info: dict) -> None:
    m3 = m3_client(info)
    assert m3.ok("CRS620MI", "LstSuppliers", maxrecs=0) == []
    assert m3.ok("GLS200MI", "LstVouchersByDt", FRDT="20000101", TODT="20991231", maxrecs=0) == []
    counts = m3.control("GET", "/infor/counts").json()
    assert {name: counts[name] for name in ("suppliers", "purchase_orders", "gl_lines")} == {
        "suppliers": 0,
        "purchase_orders": 0,
        "gl_lines": 0,
    }
    # No invoices means no AR items either, and no order got further than delivered.
    assert (counts["invoices"], counts["ar_items"]) == (0, 0)
    for year in (2025, 2026):
        assert m3.ok("OIS350MI", "LstInvHead", YEA4=year, maxrecs=0) == []
    assert m3.ok("ARS200MI", "LstInvByDivi", maxrecs=0) == []
    statuses = set()
    for customer in m3.ok("CRS610MI", "LstByNumber", maxrecs=0):
        heads = m3.ok("OIS100MI", "LstHead", CUNO=customer["CUNO"], maxrecs=0)
        statuses.update(head["ORST"] for head in heads)
    assert "66" in statuses and statuses <= {"22", "66"}  # allocated or delivered, never 77


def test_without_shop_customers_every_order_is_a_guest_checkout(info: dict) -> None:
    url, token = info["urls"]["shop"], info["environment"]["SHOP_ACCESS_TOKEN"]
    headers = {"X-Shopify-Access-Token": token}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        customers = http.get("/admin/api/2024-07/customers.json", params={"limit": 250})
        orders = http.get("/admin/api/2024-07/orders.json", params={"limit": 250, "status": "any"})
    assert customers.status_code == 200 and customers.json()["customers"] == []
    assert orders.json()["orders"]
    assert all(order.get("customer") is None for order in orders.json()["orders"])


def test_optional_freshbooks_fields_are_null_on_every_row(info: dict) -> None:
    api = freshbooks_client(info)
    resources = {
        "invoices": "invoices/invoices",
        "clients": "users/clients",
        "expenses": "expenses/expenses",
        "payments": "payments/payments",
        "items": "items/items",
    }
    for entity, resource in resources.items():
        rows = every(api, resource, include=["lines"])
        assert rows, entity
        for row in rows:
            for name in OPTIONAL_FIELDS[f"freshbooks.{entity}"]:
                assert row[name] is None, (entity, row["id"], name)
            for line in row.get("lines", []):
                for name in OPTIONAL_FIELDS["freshbooks.invoices__lines"]:
                    assert line[name] is None, (row["id"], line["lineid"], name)


def test_untaxed_invoices_are_paid_their_untaxed_total(info: dict) -> None:
    api = freshbooks_client(info)
    invoices = every(api, "invoices/invoices", include=["lines"])
    for invoice in invoices:
        lines = sum((money(line["amount"]) for line in invoice["lines"]), Decimal(0))
        assert money(invoice["amount"]) == lines
    paid = [i for i in invoices if i["payment_status"] == "paid"]
    assert paid and all(money(i["paid"]) == money(i["amount"]) for i in paid)
    assert every(api, "taxes/taxes")  # the account has taxes, its invoices use none


def test_optional_m3_fields_are_blank_on_every_row(info: dict) -> None:
    m3 = m3_client(info)
    customers = m3.ok("CRS610MI", "LstByNumber", maxrecs=0)
    assert customers
    for customer in customers:
        for name in OPTIONAL_FIELDS["infor.customers"]:
            assert customer[name] == "", (customer["CUNO"], name)
    assert all(c["CUNM"] and c["CUA1"] for c in customers)  # the mandatory ones are there
