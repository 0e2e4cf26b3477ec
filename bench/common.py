"""What the benchmarks share: a sandbox of their own in a temporary home, and peak memory."""

from __future__ import annotations

import resource
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from sandbox import runner


@contextmanager
def sandbox_home(scale: float, names: list[str], seed: int = 42) -> Iterator[tuple[Path, dict]]:
    """Start the named emulators at `scale` in a fresh home; stop them afterwards."""
    with tempfile.TemporaryDirectory(prefix="ledgerlink-bench-") as tmp:
        home = Path(tmp) / ".ledgerlink"
        info = runner.start(home, seed=seed, scale=scale, names=names)
        try:
            yield home, info
        finally:
            runner.stop(home)


def served(url: str) -> int:
    """Requests the emulator has answered so far (its own count, faults included)."""
    return int(httpx.get(f"{url}/_sandbox/stats", timeout=10).json().get("requests", 0))


def sandbox_stats(url: str) -> dict:
    return httpx.get(f"{url}/_sandbox/stats", timeout=10).json()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Read from /proc (VmHWM): `getrusage`'s ru_maxrss survives exec, so a benchmark started
    from a bigger process would report its parent's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
