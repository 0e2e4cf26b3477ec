"""Infor M3 connector read throughput (rows/s) against the sandbox emulator.

Usage: `.venv/bin/python bench/bench_infor_read.py [--scale 300] [--page-size 100 500] [--repeat 3]`

Starts its own sandbox (Infor emulator only) in a temporary home, pages CRS610MI/LstByNumber and
MMS200MI/LstItmByItm through `M3Client.list_all`, and prints one line per run: rows, requests,
seconds and rows/s. Two client-side rates are measured: the configured Infor limit (what a sync
really gets) and an unthrottled one (what the connector and emulator can do, i.e. our overhead).
Figures are for comparison on one machine in one run, never absolute.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx

from ledgerlink.connectors.infor import InforClient
from ledgerlink.settings import load_settings
from sandbox import runner

UNTHROTTLED = 100_000.0


class RequestCounter:
    """Counts M3 requests through an httpx event hook; the client behaves exactly as in a sync."""

    def __init__(self, client: InforClient) -> None:
        self.count = 0
        client.m3.http.event_hooks["request"].append(self._seen)

    def _seen(self, request: httpx.Request) -> None:
        self.count += 1


def measure(
    label: str, rows: Callable[[], Iterable[object]], requests: RequestCounter, repeat: int
) -> None:
    """Median of `repeat` runs; each starts with a full token bucket, as a scheduled sync would."""
    timings = []
    for _ in range(repeat):
        time.sleep(1.0)  # let the client-side bucket refill so every run starts alike
        before = requests.count
        started = time.perf_counter()
        count = sum(1 for _ in rows())
        timings.append((time.perf_counter() - started, requests.count - before))
    seconds, sent = statistics.median(t for t, _ in timings), timings[0][1]
    rate = count / seconds if seconds else float("inf")
    print(f"  {label:<40} {count:>7} rows {sent:>5} req {seconds:>7.2f} s {rate:>9.0f} rows/s")


def run(home: Path, rate: float, page_sizes: list[int], repeat: int) -> None:
    settings = load_settings(ledgerlink_home=home, infor_rate_limit=rate)
    with InforClient.from_settings(settings, persist_tokens=False) as client:
        requests = RequestCounter(client)
        client.customers.server_time()  # token and connection warm-up, not measured
        m3 = client.m3
        label = "unthrottled" if rate == UNTHROTTLED else "configured limit"
        print(f"client-side rate: {label} ({rate:g} req/s)")
        for size in page_sizes:
            runs = {
                f"CRS610MI LstByNumber raw, page {size}": lambda size=size: m3.list_all(
                    "CRS610MI", "LstByNumber", "CUNO", page_size=size
                ),
                f"CRS610MI LstByNumber typed, page {size}": lambda size=size: (
                    client.customers.list_customers(page_size=size)
                ),
                f"MMS200MI LstItmByItm raw, page {size}": lambda size=size: client.items.records(
                    page_size=size
                ),
                f"MMS200MI LstItmByItm typed, page {size}": lambda size=size: (
                    client.items.list_items(page_size=size)
                ),
            }
            for name, rows in runs.items():
                measure(name, rows, requests, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--page-size", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledgerlink-bench-") as folder:
        home = Path(folder) / ".ledgerlink"
        started = time.perf_counter()
        runner.start(home, seed=args.seed, scale=args.scale, names=["infor"])
        try:
            print(f"sandbox up in {time.perf_counter() - started:.1f} s (scale {args.scale:g})")
            configured = load_settings(ledgerlink_home=home).infor_rate_limit
            for rate in (configured, UNTHROTTLED):
                run(home, rate, args.page_size, args.repeat)
        finally:
            runner.stop(home)


if __name__ == "__main__":
    main()
