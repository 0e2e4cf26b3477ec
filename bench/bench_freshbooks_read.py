"""FreshBooks connector list throughput (rows/s) against the sandbox emulator.

Usage: `.venv/bin/python bench/bench_freshbooks_read.py [--scale 20]`

Pages invoices (with lines), clients and payments through `FreshBooksClient.list_raw` and the
typed `list`, at the configured FreshBooks rate (what a sync gets) and unthrottled (our own
overhead plus the emulator's). Figures compare runs on one machine, never absolute.
"""

from __future__ import annotations

import argparse
import time

from common import sandbox_home, served

from ledgerlink.connectors.freshbooks import FreshBooksClient, FreshBooksTokenManager
from ledgerlink.connectors.freshbooks.oauth import authorize_headless
from ledgerlink.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=20)
    args = parser.parse_args()
    with sandbox_home(args.scale, ["freshbooks"]) as (home, info):
        url = info["urls"]["freshbooks"]
        print(f"FreshBooks connector reads, scale {args.scale:g}")
        for label, rate in (("configured limit (5 req/s)", None), ("unthrottled", 100_000.0)):
            overrides = {"freshbooks_rate_limit": rate} if rate else {}
            settings = load_settings(ledgerlink_home=home, **overrides)
            tokens = FreshBooksTokenManager(settings)
            if tokens.store.load() is None:
                authorize_headless(settings, tokens)
            with FreshBooksClient.from_settings(settings, tokens) as client:
                _ = client.account_id  # identity once, outside the timings
                for resource in ("invoices", "clients", "payments"):
                    for kind, read in (("raw", client.list_raw), ("typed", client.list)):
                        before, started = served(url), time.perf_counter()
                        rows = sum(1 for _ in read(resource))
                        seconds = time.perf_counter() - started
                        print(
                            f"  {label:<27} {resource:<9} {kind:<5} {rows:>6} rows "
                            f"{served(url) - before:>4} req {seconds:>6.2f} s "
                            f"{rows / seconds:>8.0f} rows/s"
                        )


if __name__ == "__main__":
    main()
