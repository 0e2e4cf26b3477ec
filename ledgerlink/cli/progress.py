"""How the CLI shows a long step's progress on stderr: rich bars when stderr is a terminal, and
elsewhere (pipes, CI, tests) a plain line every few seconds, which logs and scripts keep readable.

One `CliProgress` per command: `showing()` opens it, and it hands each step the callback that
step's service reports to (dlt's collector, dbt's nodes, a push's records, a Dagster run).
While the bars are live, log lines and the command's own output print above them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dlt.common.runtime.collector import Collector, LogCollector
from rich.console import Console
from rich.file_proxy import FileProxy
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from pipelines.progress import REQUESTS

if TYPE_CHECKING:
    from ledgerlink.dbt import DbtProgress
    from orchestration.in_process import RunProgress
    from reverse_etl.runner import Progress as PushProgress

PLAIN_PERIOD_SECONDS = 2.0  # a plain line at most this often per step (and when it ends)
RUN_PERIOD_SECONDS = 10.0  # a Dagster run's plain line: runs take minutes, not seconds
FLAGGED_LINES = ("warn", "fail", "error", "skip")  # the dbt statuses a progress line counts
FLAGGED_STYLES = {"warn": "yellow", "fail": "red", "error": "red"}
# dlt's own counters (resources, files, items, jobs); REQUESTS counts the source's HTTP
# requests; every other counter is a table's rows
DLT_COUNTERS = ("Resources", "Files", "Items", "Jobs")


class CliProgress:
    """The callbacks of one command's steps: each draws on `bars` when they are live, writes
    plain lines to the console's stream when not, and is None when progress is off."""

    def __init__(self, console: Console, bars: Progress | None, enabled: bool = True) -> None:
        self.console = console
        self.bars = bars
        self.enabled = enabled
        self._runs: dict[str, TaskID] = {}

    def extract(self) -> Collector | None:
        """dlt's collector for a pipeline: rows per table, dlt's own counters and the source's
        HTTP requests per step."""
        if not self.enabled:
            return None
        if self.bars is None:
            return LogCollector(
                log_period=PLAIN_PERIOD_SECONDS, logger=self.console.file, dump_system_stats=False
            )
        return BarCollector(self.bars)

    def dbt(self) -> Callable[[DbtProgress], None] | None:
        """Called after each node dbt finishes: nodes done out of selected, and what flagged."""
        if not self.enabled:
            return None
        return DbtBar(self.bars) if self.bars is not None else DbtLines(self.console)

    def push(self) -> Callable[[PushProgress], None] | None:
        """Called after each record a push writes: per sync, records done out of planned."""
        if not self.enabled:
            return None
        return PushBars(self.bars) if self.bars is not None else PushLines(self.console)

    def runs(self) -> Callable[[RunProgress], None] | None:
        """Called every few seconds while a Dagster run runs: its step, assets and checks."""
        if not self.enabled:
            return None
        if self.bars is None:
            return RunLines(self.console)
        return self._run_bar

    def run_ended(self, label: str) -> None:
        """Take a finished run's bar away (the command prints how the run ended)."""
        if self.bars is not None and label in self._runs:
            self.bars.remove_task(self._runs.pop(label))

    def _run_bar(self, progress: RunProgress) -> None:
        assert self.bars is not None
        (assets, planned), (checks, checks_planned) = progress.assets, progress.checks
        if progress.label not in self._runs:
            self._runs[progress.label] = self.bars.add_task(progress.label, status="")
        self.bars.update(
            self._runs[progress.label],
            total=planned or None,
            completed=assets,
            status=f"{progress.step}, {assets}/{planned} assets, {checks}/{checks_planned} checks",
        )


@contextmanager
def showing(enabled: bool = True, console: Console | None = None) -> Iterator[CliProgress]:
    """Progress for the block on `console` (stderr by default): bars while it is a terminal,
    plain lines otherwise, nothing when not `enabled` (`--quiet`, `--json`)."""
    # Decided by stderr itself, not by FORCE_COLOR: a CI log or a test's captured stderr gets
    # lines, whatever the environment asks of colours.
    console = console or Console(stderr=True, force_terminal=sys.stderr.isatty())
    if not (enabled and console.is_terminal and not console.is_dumb_terminal):
        yield CliProgress(console, None, enabled)
        return
    bars = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.fields[status]}", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=True,  # the command's summary follows; the bars have said their part
        redirect_stdout=False,  # `printed_above` does it, so that `typer.echo` goes above too
        redirect_stderr=False,
    )
    with bars, printed_above(console):
        yield CliProgress(console, bars)


class EchoableProxy(FileProxy):
    """rich's stream that prints above the bars, with its file's encoding: click (`typer.echo`)
    takes a stream without one as misconfigured and writes around it, under the bars."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.rich_proxied_file, "encoding", None) or "utf-8"


@contextmanager
def printed_above(console: Console) -> Iterator[None]:
    """While the bars are live, what is written to stderr (the `ledgerlink` logger's lines,
    already redacted by its filter) prints above them, and so does stdout when it is the
    terminal too; stdout to a file or a pipe is left alone, so it keeps the command's output."""
    saved = sys.stdout, sys.stderr
    sys.stderr = EchoableProxy(console, sys.stderr)
    if sys.stdout.isatty():
        sys.stdout = EchoableProxy(console, sys.stdout)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = saved


class Throttle:
    """Whether a plain line is due: at most one per `period`, and always the last one."""

    def __init__(self, period: float) -> None:
        self.period = period
        self._last_shown: float | None = None

    def due(self, finished: bool = False) -> bool:
        now = time.monotonic()
        if not finished and self._last_shown is not None and now - self._last_shown < self.period:
            return False
        self._last_shown = now
        return True


def _dbt_counts(progress: DbtProgress) -> str:
    counts = progress.statuses
    return ", ".join(f"{counts[s]} {s}" for s in FLAGGED_LINES if counts[s])


class DbtLines:
    """`dbt build: 120/310 nodes (2 warn) 14s` every few seconds, and when the last node ends."""

    def __init__(self, console: Console, period: float = PLAIN_PERIOD_SECONDS) -> None:
        self.console = console
        self.throttle = Throttle(period)

    def __call__(self, progress: DbtProgress) -> None:
        if not self.throttle.due(progress.done == progress.total):
            return
        flagged = _dbt_counts(progress)
        _line(
            self.console,
            f"dbt build: {progress.done}/{progress.total} nodes"
            f"{f' ({flagged})' if flagged else ''} {progress.seconds:.0f}s",
        )


class DbtBar:
    """One bar for the build, and a line above it for each node as soon as it warns or fails."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self.task: TaskID | None = None
        self._named = 0

    def __call__(self, progress: DbtProgress) -> None:
        for status, name in progress.flagged[self._named :]:
            self.bars.console.print(Text(f"dbt {status:<5} {name}", style=FLAGGED_STYLES[status]))
        self._named = len(progress.flagged)
        if self.task is None:
            self.task = self.bars.add_task("dbt build", status="")
        flagged = _dbt_counts(progress)
        self.bars.update(
            self.task,
            total=progress.total,
            completed=progress.done,
            status=f"{progress.done}/{progress.total} nodes{f' ({flagged})' if flagged else ''}",
        )


def _push_status(progress: PushProgress) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(progress.counts.items()) if v)
    rate = progress.done / progress.seconds if progress.seconds > 0 else 0.0
    return f"{progress.done}/{progress.total} records ({counts}) {rate:.1f}/s"


class PushLines:
    """`push invoices: 40/120 records (created 38, failed 2) 12.5/s`, a line every few seconds
    while a sync runs and one when it ends."""

    def __init__(self, console: Console, period: float = PLAIN_PERIOD_SECONDS) -> None:
        self.console = console
        self.throttle = Throttle(period)

    def __call__(self, progress: PushProgress) -> None:
        if self.throttle.due(progress.done == progress.total):
            _line(self.console, f"push {progress.sync}: {_push_status(progress)}")


class PushBars:
    """A bar per sync: records done out of planned, what they came to and the rate."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, progress: PushProgress) -> None:
        task = self._tasks.get(progress.sync)
        if task is None:
            task = self._tasks[progress.sync] = self.bars.add_task(
                f"push {progress.sync}", total=progress.total, status=""
            )
        elif progress.done < self.bars.tasks[task].completed:  # the sync's next pass
            self.bars.reset(task, total=progress.total)
        self.bars.update(
            task, total=progress.total, completed=progress.done, status=_push_status(progress)
        )


class RunLines:
    """`  order_to_cash: dbt_build, 40/64 assets, 12/80 checks (95s)` every ten seconds."""

    def __init__(self, console: Console, period: float = RUN_PERIOD_SECONDS) -> None:
        self.console = console
        self.throttle = Throttle(period)

    def __call__(self, progress: RunProgress) -> None:
        if not self.throttle.due():
            return
        (assets, planned), (checks, checks_planned) = progress.assets, progress.checks
        _line(
            self.console,
            f"  {progress.label}: {progress.step}, {assets}/{planned} assets, "
            f"{checks}/{checks_planned} checks ({progress.seconds:.0f}s)",
        )


class BarCollector(Collector):
    """dlt's progress as bars: per step (`Extract freshbooks`, `Normalize ...`, `Load ...`) a
    bar for each of its counters, rows for a table, `Resources` or `Jobs` done out of total,
    and while a source extracts, the HTTP requests its connector made (`Requests`).
    The step's bars go when it ends; the command's summary lists the rows loaded."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self.step = ""
        self.counts: dict[str, int] = {}  # by counter: rows for a table, dlt's own otherwise
        self.totals: dict[str, int | None] = {}
        self._tasks: dict[str, TaskID] = {}

    def update(
        self,
        name: str,
        inc: int = 1,
        total: int | None = None,
        inc_total: int | None = None,
        message: str | None = None,
        label: str | None = None,
    ) -> None:
        key = f"{name} ({label})" if label else name
        self.counts[key] = self.counts.get(key, 0) + inc
        task = self._tasks.get(key)
        if task is None:
            # `Normalize freshbooks in 1733581...`: the load id says nothing to a person
            step = self.step.split(" in ")[0]
            task = self._tasks[key] = self.bars.add_task(f"{step}: {key}", total=total, status="")
            self.totals[key] = total
        elif inc_total:
            self.totals[key] = (self.totals[key] or 0) + inc_total
        count, total = self.counts[key], self.totals[key]
        shown = f"{count:,}" + (f"/{total:,}" if total else "")
        if name == REQUESTS:
            shown += " requests"
        elif name not in DLT_COUNTERS:
            shown += " rows"
        self.bars.update(
            task,
            total=total,
            completed=count,
            status=f"{shown}{f' [{message}]' if message else ''}",
        )

    def _start(self, step: str) -> None:
        self.counts, self.totals, self._tasks = {}, {}, {}

    def _stop(self) -> None:
        for task in self._tasks.values():
            self.bars.remove_task(task)
        self._tasks = {}


def _line(console: Console, text: str) -> None:
    """A plain progress line on the console's stream (stderr, whatever it is now)."""
    print(text, file=console.file, flush=True)
