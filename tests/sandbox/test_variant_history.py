"""Five years of history (older than any "this year and last" or 730-day window), and an M3
tenant that puts no VAT on order lines without a code of their own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from variant_clients import every, freshbooks_client, invoiced_order, m3_client, running_variant

pytestmark = pytest.mark.integration

YEARS = 5
ANCHOR = date(2026, 1, 5)  # the world's anchor


@pytest.fixture(scope="module")
def info(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("history") / ".ledgerlink"
    with running_variant(home, history_years=YEARS, m3_line_tax="none") as started:
        yield started


def test_m3_invoices_ar_items_and_vouchers_reach_back_five_years(info: dict) -> None:
    m3 = m3_client(info)
    oldest_year = ANCHOR.year - (YEARS - 1)
    per_year = {
        year: len(m3.ok("OIS350MI", "LstInvHead", YEA4=year, maxrecs=0))
        for year in range(oldest_year, ANCHOR.year + 1)
    }
    assert per_year[oldest_year] > 0, per_year
    window = ANCHOR.year - 1  # "this year and last"
    assert sum(n for y, n in per_year.items() if y < window) > sum(
        n for y, n in per_year.items() if y >= window
    )
    items = m3.ok("ARS200MI", "LstInvByDivi", maxrecs=0)
    old = [i for i in items if i["IVDT"] < f"{oldest_year}1231"]
    assert old and {i["RECO"] for i in old} <= {"0", "9"}
    vouchers = m3.ok("GLS200MI", "LstVouchersByDt", FRDT="20000101", TODT="20991231", maxrecs=0)
    dates = sorted(v["ACDT"] for v in vouchers)
    assert dates[0] <= f"{oldest_year - 1}0228"  # 60 months before January 2026
    cutoff = (ANCHOR - timedelta(days=730)).strftime("%Y%m%d")
    assert sum(1 for d in dates if d < cutoff) > len(dates) / 2


def test_freshbooks_history_reaches_back_and_clients_predate_their_invoices(info: dict) -> None:
    api = freshbooks_client(info)
    invoices = every(api, "invoices/invoices")
    created = sorted(date.fromisoformat(i["create_date"]) for i in invoices)
    assert created[0] <= ANCHOR - timedelta(days=365 * (YEARS - 1))
    assert sum(1 for d in created if (ANCHOR - d).days > 730) > len(created) / 2
    clients = every(api, "users/clients") + every(api, "users/clients", search__vis_state=1)
    signed_up = {c["id"]: c["signup_date"][:10] for c in clients}
    assert all(signed_up[i["customerid"]] <= i["create_date"] for i in invoices)
    expenses = every(api, "expenses/expenses")
    assert min(e["date"] for e in expenses) <= str(ANCHOR - timedelta(days=365 * (YEARS - 1)))


def test_order_lines_without_a_vat_code_pay_no_vat(info: dict) -> None:
    m3 = m3_client(info)
    customer = m3.ok("CRS610MI", "LstByNumber", maxrecs=1)[0]
    assert customer["VTCD"]  # the customer has a code; the tenant does not use it for lines
    items = m3.ok("MMS200MI", "LstItmByItm", ITNO="A", maxrecs=2)
    lines = [{"ITNO": i["ITNO"], "ORQT": "2", "SAPR": "10.00"} for i in items]
    invoice = invoiced_order(m3, customer["CUNO"], lines, CUOR="NO-VAT-1")
    assert invoice["AMT1"] == invoice["AMT2"] == "40.00"
    head = m3.one("OIS100MI", "GetHead", ORNO=invoice["ORNO"])
    assert (head["VTAM"], head["TOAM"]) == ("0.00", "40.00")
