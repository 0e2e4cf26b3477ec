"""Infor M3 history: requests and wall time of a first load and of later runs, 5 years deep.

Usage: `.venv/bin/python bench/bench_infor_history.py [--years 5] [--invoices-per-year 40]
[--journals-per-month 5] [--rate 10]`

Starts its own sandbox (Infor emulator only) in a temporary home and plants the older years
through M3's own write transactions: per year, customer orders entered, shipped and invoiced
while the emulator's clock stands in that year (OIS350MI invoices of that year), and GLS840MI
journals with accounting dates across the year. It then extracts customer invoices and GL
vouchers (the two lists read by year and by date window) and prints, per run, the requests
the emulator answered, the seconds and the rows loaded: the first load (all history), a later
run with nothing new, and a later run after the push posted one journal back-dated beyond the
re-read window (recorded in ops.sync_records as the push records it). Figures are for
comparison on one machine in one run, never absolute.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb
import httpx
from common import sandbox_home, served

from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.inputs import BatchOrderHead, BatchOrderLine, JournalLine
from ledgerlink.settings import Settings, load_settings
from pipelines.entities import ENTITIES
from pipelines.extract import extract

GL_INTERFACE = "FBEXPENSE"
KEPT = ("customer_invoices", "gl_voucher_lines")
PLANTING_RATE = 100_000.0  # planting is set-up, not measured


def set_clock(url: str, moment: datetime | None) -> None:
    body = {"reset": True} if moment is None else {"set": moment.isoformat()}
    httpx.post(f"{url}/_sandbox/clock", json=body, timeout=10).raise_for_status()


def journal_lines(key: str, day: date, amount: Decimal) -> list[JournalLine]:
    """A balanced two-line voucher whose text starts with its batch key, as the push writes."""
    return [
        JournalLine(
            line=n,
            record_identity="1",
            group="1",
            account=account,
            amount=amount,
            debit_credit=side,
            accounting_date=day,
            currency="USD",
            voucher_text=f"{key} Bench expense",
        )
        for n, (account, side) in enumerate((("6550", "D"), ("2000", "C")), start=1)
    ]


def plant_year(
    url: str, client: InforClient, year: int, invoices: int, journals_per_month: int
) -> None:
    customers = [c.customer_number for c in client.customers.list_customers()]
    items = [i.item_number for i in client.items.list_items()]
    for n in range(invoices):
        day = date(year, 1, 1) + timedelta(days=(n * 361) // max(1, invoices))
        set_clock(url, datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
        order = client.orders.create(
            BatchOrderHead(CUNO=customers[n % len(customers)], CUOR=f"BENCH-{year}-{n}"),
            [BatchOrderLine(ITNO=items[n % len(items)], ORQT=Decimal(1 + n % 4))],
        )
        for step in ("ship", "invoice"):
            httpx.post(
                f"{url}/_sandbox/infor/orders/{order.order_number}/{step}", timeout=30
            ).raise_for_status()
    set_clock(url, None)
    for month in range(1, 13):
        for n in range(journals_per_month):
            key = f"BENCH-{year}{month:02d}{n:02d}"
            day = date(year, month, 1 + (n * 27) // max(1, journals_per_month))
            lines = journal_lines(key, day, Decimal(100 + n))
            client.general_ledger.post_journal(key, GL_INTERFACE, "Bench journal", lines)


def record_posted(settings: Settings, key: str) -> None:
    """The row the push's ledger holds for a GL journal it posted."""
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema if not exists ops")
        con.execute(
            "create table if not exists ops.sync_records (intent_key varchar primary key, "
            "target varchar, entity varchar, natural_key varchar, content_hash varchar, "
            "operation varchar, status varchar, attempts integer, target_id varchar, "
            "error_code varchar, error_message varchar, first_attempt_at timestamp, "
            "last_attempt_at timestamp, run_id varchar)"
        )
        con.execute(
            "insert into ops.sync_records (intent_key, target, entity, natural_key, "
            "content_hash, operation, status, attempts, last_attempt_at) "
            "values (?, 'infor', 'gl_journals', ?, 'bench', 'create', 'created', 1, ?)",
            [uuid.uuid4().hex, key, datetime.now(UTC).replace(tzinfo=None)],
        )


def measure(label: str, settings: Settings, url: str) -> None:
    before = served(url)
    started = time.perf_counter()
    [result] = extract(settings, ["infor"])
    seconds = time.perf_counter() - started
    requests = served(url) - before
    rows = "  ".join(f"{table} {result.rows.get(table, 0):>6}" for table in KEPT)
    print(f"  {label:<48} {requests:>5} req {seconds:>7.2f} s   {rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5, help="years of history M3 holds")
    parser.add_argument("--invoices-per-year", type=int, default=40)
    parser.add_argument("--journals-per-month", type=int, default=5)
    parser.add_argument("--rate", type=float, default=None, help="M3 requests/s (settings')")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with sandbox_home(1.0, ["infor"], seed=args.seed) as (home, info):
        url = info["urls"]["infor"]
        plant = load_settings(ledgerlink_home=home, infor_rate_limit=PLANTING_RATE)
        started = time.perf_counter()
        with InforClient.from_settings(plant, persist_tokens=False) as client:
            this_year = client.general_ledger.server_time().date.year
            # the seeded world holds this year and the last; plant the ones before
            planted = range(this_year - args.years + 1, this_year - 1)
            for year in planted:
                plant_year(url, client, year, args.invoices_per_year, args.journals_per_month)
        counts = httpx.get(f"{url}/_sandbox/infor/counts", timeout=10).json()
        planting = time.perf_counter() - started
        print(
            f"M3 history {this_year - args.years + 1}-{this_year}: {counts['invoices']} "
            f"invoices, {counts['gl_lines']} GL voucher lines (planted in {planting:.0f} s)"
        )

        off = [f"infor.{name}" for name in ENTITIES["infor"] if name not in KEPT]
        overrides = {"LEDGERLINK_DISABLED_ENTITIES": ",".join(off)}
        if args.rate is not None:
            overrides["infor_rate_limit"] = args.rate
        settings = load_settings(ledgerlink_home=home, **overrides)
        print(f"extract at {settings.infor_rate_limit:g} req/s, M3 entities {', '.join(KEPT)}:")
        measure("first load (all history)", settings, url)
        measure("later run, nothing new", settings, url)
        with InforClient.from_settings(plant, persist_tokens=False) as client:
            today = client.general_ledger.server_time().date
            key = f"BENCH-LATE-{uuid.uuid4().hex[:4].upper()}"
            day = today - timedelta(days=settings.infor_gl_reread_days + 300)
            client.general_ledger.post_journal(
                key, GL_INTERFACE, "Back-dated", journal_lines(key, day, Decimal("42.00"))
            )
        record_posted(settings, key)
        measure("later run, a journal posted 300 days back-dated", settings, url)


if __name__ == "__main__":
    main()
