"""Shop connector read throughput (rows/s) against the sandbox emulator.

Usage: `.venv/bin/python bench/bench_shop_read.py [--scale 20] [--limit 250 50]`

Starts its own sandbox (shop emulator only) in a temporary home, reads orders, customers and
products through `ShopClient` (Link-header paging), raw and validated into models, and prints one
line per run: rows, requests, seconds and rows/s. Two client-side rates are measured: the
configured shop limit (what a sync really gets; Shopify's REST limit is 2 requests/s) and an
unthrottled one (what the connector and emulator can do, i.e. our overhead). Figures are for
comparison on one machine in one run, never absolute.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx

from ledgerlink.connectors.shop import Rejected, ShopClient
from ledgerlink.settings import load_settings
from sandbox import runner

UNTHROTTLED = 100_000.0


class RequestCounter:
    """Counts requests through an httpx event hook; the client behaves exactly as in a sync."""

    def __init__(self, client: ShopClient) -> None:
        self.count = 0
        client.http.event_hooks["request"].append(self._seen)

    def _seen(self, request: httpx.Request) -> None:
        self.count += 1


def measure(label: str, rows: Callable[[], Iterable[object]], requests: RequestCounter) -> None:
    before = requests.count
    started = time.perf_counter()
    count = rejected = 0
    for row in rows():
        count += 1
        rejected += isinstance(row, Rejected)
    seconds = time.perf_counter() - started
    sent = requests.count - before
    rate = count / seconds if seconds else float("inf")
    note = f"  ({rejected} rejected)" if rejected else ""
    print(
        f"  {label:<34} {count:>7} rows {sent:>5} req {seconds:>7.2f} s {rate:>9.0f} rows/s{note}"
    )


def run(home: Path, rate: float, limits: list[int], *, orders_only: bool) -> None:
    settings = load_settings(ledgerlink_home=home, shop_rate_limit=rate)
    with ShopClient.from_settings(settings) as client:
        requests = RequestCounter(client)
        client.count("products")  # connection warm-up, not measured
        label = "unthrottled" if rate == UNTHROTTLED else "configured limit"
        print(f"client-side rate: {label} ({rate:g} req/s)")
        for limit in limits:
            runs: dict[str, Callable[[], Iterable[object]]] = {
                f"orders raw, limit {limit}": lambda limit=limit: client.iter_raw(
                    "orders", status="any", limit=limit
                ),
                f"orders typed, limit {limit}": lambda limit=limit: client.orders(limit=limit),
            }
            if not orders_only:
                runs[f"customers typed, limit {limit}"] = lambda limit=limit: client.customers(
                    limit=limit
                )
                runs[f"products typed, limit {limit}"] = lambda limit=limit: client.products(
                    limit=limit
                )
            for name, rows in runs.items():
                measure(name, rows, requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--limit", type=int, nargs="+", default=[250, 50])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledgerlink-bench-") as folder:
        home = Path(folder) / ".ledgerlink"
        started = time.perf_counter()
        runner.start(home, seed=args.seed, scale=args.scale, names=["shop"])
        try:
            print(f"sandbox up in {time.perf_counter() - started:.1f} s (scale {args.scale:g})")
            configured = load_settings(ledgerlink_home=home).shop_rate_limit
            # At the configured limit only the largest page is worth the wait.
            run(home, configured, [max(args.limit)], orders_only=True)
            run(home, UNTHROTTLED, args.limit, orders_only=False)
        finally:
            runner.stop(home)


if __name__ == "__main__":
    main()
