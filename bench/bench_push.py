"""Push throughput against the target's rate limit, and a duplicate count afterwards.

Usage: `.venv/bin/python bench/bench_push.py [--scale 2] [--limit 5]`

Runs extract and dbt on a fresh sandbox, limits the FreshBooks emulator (server side) and our
client to `--limit` requests per second, pushes the FreshBooks syncs (shop customers and orders
become clients and invoices), and prints the requests per second the push achieved as a share of
the limit, how many answered 429, and how many records exist twice in FreshBooks.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import httpx
from common import sandbox_home, sandbox_stats

from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.client import Search
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.dbt import build_models
from ledgerlink.settings import load_settings
from ledgerlink.warehouse import connect, writer_lock
from pipelines.extract import extract
from reverse_etl.runner import Pusher, select_syncs
from reverse_etl.targets import TargetWriters

SYNCS = ["freshbooks_clients", "freshbooks_invoices"]


def duplicates_in_freshbooks(settings) -> int:
    """Clients sharing an e-mail and invoices sharing a number, beyond the first of each."""
    with FreshBooksClient.from_settings(settings) as client:
        emails = Counter(c["email"].lower() for c in client.list_raw("clients") if c.get("email"))
        numbers = Counter(
            i["invoice_number"] for i in client.list_raw("invoices", search=Search(), include=())
        )
    return sum(n - 1 for n in (*emails.values(), *numbers.values()) if n > 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=2)
    parser.add_argument("--limit", type=float, default=5)
    args = parser.parse_args()
    with sandbox_home(args.scale, ["freshbooks", "infor", "shop"]) as (home, info):
        fb_url = info["urls"]["freshbooks"]
        fast = load_settings(
            ledgerlink_home=home,
            freshbooks_rate_limit=500,
            infor_rate_limit=500,
            shop_rate_limit=500,
        )
        authorize_headless(fast, FreshBooksTokenManager(fast))
        extract(fast)
        build_models(fast)

        already = duplicates_in_freshbooks(fast)  # the sandbox plants one duplicate client
        limited = load_settings(ledgerlink_home=home, freshbooks_rate_limit=args.limit)
        httpx.post(
            f"{fb_url}/_sandbox/faults", json={"rate_limit_per_second": args.limit}, timeout=10
        )
        before = sandbox_stats(fb_url)
        started = time.perf_counter()
        passes = 0
        created = 0
        while passes < 3:  # invoices wait for the clients created in the pass before
            passes += 1
            with (
                writer_lock(limited, "bench push"),
                connect(limited, read_only=False) as con,
                TargetWriters(limited) as writers,
            ):
                report = Pusher(con, writers).push(select_syncs(SYNCS))
            created += report.total("created")
            if report.total("waiting") == 0:
                break
            extract(fast, ["freshbooks"])
            build_models(fast)
        seconds = time.perf_counter() - started
        after = sandbox_stats(fb_url)
        httpx.delete(f"{fb_url}/_sandbox/faults", timeout=10)

        duplicates = duplicates_in_freshbooks(fast) - already
    requests = after.get("requests", 0) - before.get("requests", 0)
    limited_count = after.get("rate_limited", 0) - before.get("rate_limited", 0)
    rate = requests / seconds
    print(f"push of {created} FreshBooks records in {passes} passes, {seconds:.1f} s")
    print(f"  {requests} requests = {rate:.2f} req/s = {rate / args.limit:.0%} of the limit")
    print(
        f"  {limited_count} answered 429; duplicates the push created in FreshBooks: {duplicates}"
    )
    print("  (the time between passes goes to extract and dbt, which make no FreshBooks writes)")


if __name__ == "__main__":
    main()
