"""The CLI's progress: bars on a terminal, the plain lines elsewhere, log lines above the bars
with their secrets masked, and dlt's rows counted per table beside a source's HTTP requests."""

from __future__ import annotations

import io
import sys
import threading
from dataclasses import dataclass

import httpx
import pytest
import typer
from dlt.common.runtime.collector import LogCollector
from rich.console import Console

from ledgerlink.cli.progress import BarCollector, showing
from ledgerlink.dbt import DbtProgress
from ledgerlink.log import configure_logging, get_logger
from pipelines.progress import RequestCounting, with_hook
from reverse_etl.runner import Progress as PushProgress


@dataclass(frozen=True)
class RunProgress:
    """`orchestration.in_process.RunProgress`'s fields: Dagster takes seconds to import."""

    label: str
    step: str
    assets: tuple[int, int]
    checks: tuple[int, int]
    seconds: float


def terminal() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=100)


def not_a_terminal() -> Console:
    return Console(file=io.StringIO(), force_terminal=False, width=100)


def written(console: Console) -> str:
    return console.file.getvalue()


def dbt_progress(done: int, total: int, *flagged: tuple[str, str]) -> DbtProgress:
    """dbt's lines for `done` nodes of `total`, the last ones those `flagged` (status, name)."""
    progress = DbtProgress()
    words = {"warn": "WARN 2", "fail": "FAIL 1"}
    for n in range(1, done - len(flagged) + 1):
        progress.read(f"12:00:00  {n} of {total} OK created sql view model main.m{n} ... [OK]")
    for n, (status, name) in enumerate(flagged, start=done - len(flagged) + 1):
        progress.read(f"12:00:00  {n} of {total} {words[status]} {name} ... [{status}]")
    return progress


def test_on_a_terminal_bars_show_dbt_nodes_done_and_name_each_failure():
    console = terminal()
    with showing(console=console) as progress:
        report = progress.dbt()
        report(dbt_progress(120, 310, ("fail", "unique_invoices_id")))
    out = written(console)
    assert "dbt build" in out and "120/310 nodes (1 fail)" in out
    assert "dbt fail  unique_invoices_id" in out


def test_on_a_terminal_a_bar_per_sync_and_a_bar_per_run():
    console = terminal()
    with showing(console=console) as progress:
        push = progress.push()
        push(PushProgress("invoices", 40, 120, {"created": 38, "failed": 2}, 4.0))
        push(PushProgress("payments", 3, 9, {"created": 3}, 1.0))
        runs = progress.runs()
        runs(RunProgress("order_to_cash", "dbt_build", (40, 64), (12, 80), 95.0))
    out = written(console)
    assert "push invoices" in out and "40/120 records (created 38, failed 2) 10.0/s" in out
    assert "push payments" in out and "3/9 records (created 3) 3.0/s" in out
    assert "order_to_cash" in out and "dbt_build, 40/64 assets, 12/80 checks" in out


def test_log_lines_print_above_the_bars_with_secrets_masked(capsys):
    configure_logging("info")
    console = terminal()
    with showing(console=console) as progress:
        progress.dbt()(dbt_progress(1, 2))
        get_logger("progress_test").warning("retrying", extra={"auth": "Bearer abcdef123456789"})
    out = written(console)
    assert "ledgerlink.progress_test: retrying" in out
    assert "abcdef123456789" not in out
    assert "retrying" not in capsys.readouterr().err  # through the console, not past the bars


class TerminalStdout(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_commands_output_prints_above_the_bars_when_stdout_is_the_terminal(monkeypatch):
    console = terminal()
    monkeypatch.setattr(sys, "stdout", TerminalStdout())
    with showing(console=console) as progress:
        progress.dbt()(dbt_progress(1, 2))
        typer.echo("  pass 1: 12 rows loaded")
    assert "pass 1: 12 rows loaded" in written(console)
    assert sys.stdout.getvalue() == ""


def test_the_commands_output_to_a_file_stays_in_the_file(monkeypatch):
    console = terminal()
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    with showing(console=console) as progress:
        progress.dbt()(dbt_progress(1, 2))
        typer.echo("  pass 1: 12 rows loaded")
    assert "pass 1" not in written(console) and "pass 1" in sys.stdout.getvalue()


def test_not_on_a_terminal_the_plain_lines_as_before():
    console = not_a_terminal()
    with showing(console=console) as progress:
        progress.dbt()(dbt_progress(310, 310, ("warn", "accepted_values_status")))
        progress.push()(PushProgress("invoices", 120, 120, {"created": 120}, 10.0))
        progress.runs()(RunProgress("expenses", "push_journals", (5, 9), (2, 4), 31.0))
        assert isinstance(progress.extract(), LogCollector)
    lines = written(console).splitlines()
    assert lines[0].startswith("dbt build: 310/310 nodes (1 warn) ")
    assert lines[1:] == [
        "push invoices: 120/120 records (created 120) 12.0/s",
        "  expenses: push_journals, 5/9 assets, 2/4 checks (31s)",
    ]


def test_plain_lines_come_every_few_seconds_and_when_the_step_ends():
    console = not_a_terminal()
    with showing(console=console) as progress:
        push = progress.push()
        for done in range(1, 51):
            push(PushProgress("invoices", done, 50, {"created": done}, 1.0))
    lines = written(console).splitlines()
    assert [line.split(":")[1].split()[0] for line in lines] == ["1/50", "50/50"]


@pytest.mark.parametrize("console", [terminal, not_a_terminal])
def test_no_progress_when_off(console):
    shown = console()
    with showing(False, console=shown) as progress:
        callbacks = [progress.extract(), progress.dbt(), progress.push(), progress.runs()]
        assert callbacks == [None] * 4
    assert written(shown) == ""


def test_the_dlt_collector_counts_rows_per_table_and_shows_them():
    console = terminal()
    with showing(console=console) as progress:
        collector = progress.extract()
        assert isinstance(collector, BarCollector)
        with collector("Extract freshbooks"):
            collector.update("Resources", 0, 3)
            collector.update("invoices", 100)
            collector.update("clients", 7)
            collector.update("invoices", 25)
            collector.update("Resources", 1)
            assert collector.counts == {"Resources": 1, "invoices": 125, "clients": 7}
            progress.bars.refresh()
            out = written(console)
    assert "Extract freshbooks: invoices" in out and "125 rows" in out
    assert "Extract freshbooks: Resources" in out and "1/3" in out
    assert progress.bars.tasks == []  # a step's bars go when it ends


def answering_client() -> httpx.Client:
    """A client whose every request is answered at once, without a network."""
    return httpx.Client(
        base_url="http://api.test", transport=httpx.MockTransport(lambda _: httpx.Response(200))
    )


def requests_in_threads(client: httpx.Client, threads: int, each: int) -> None:
    """`threads` threads making `each` requests at once, as dlt's workers do for parallelized
    resources; back when all are answered."""

    def work() -> None:
        for _ in range(each):
            client.get("/page")

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def test_the_bars_show_the_requests_a_source_makes_beside_its_rows():
    console = terminal()
    with showing(console=console) as progress:
        bars = progress.extract()
        counting = RequestCounting(bars)
        client = with_hook(answering_client, counting.on_response, lambda c: c)()
        with counting("Extract freshbooks"):
            counting.update("Resources", 0, 2)
            for _ in range(3):  # on the step's own thread: shown at once
                client.get("/page")
            counting.update("invoices", 100)
            assert bars.counts == {"Resources": 0, "Requests": 3, "invoices": 100}
            requests_in_threads(client, threads=8, each=50)
            counting.update("invoices", 25)  # the workers' requests come with dlt's next update
            assert bars.counts["Requests"] == 403
            progress.bars.refresh()
            out = written(console)
    assert "Extract freshbooks: Requests" in out and "403 requests" in out
    assert "403 rows" not in out and "125 rows" in out
    assert progress.bars.tasks == []


def test_the_plain_lines_show_the_requests_when_the_step_ends():
    console = not_a_terminal()
    with showing(console=console) as progress:
        counting = RequestCounting(progress.extract())
        client = with_hook(answering_client, counting.on_response, lambda c: c)()
        with counting("Extract shop"):
            counting.update("Resources", 0, 3)
            requests_in_threads(client, threads=8, each=25)
            counting.update("Resources", 3)
    last = written(console).split(" Extract shop ")[-1]
    assert "Requests: 200 " in last and "Resources: 3/3 " in last


def test_without_a_collector_the_clients_have_no_hook():
    assert with_hook(answering_client, None, lambda c: c) is answering_client
