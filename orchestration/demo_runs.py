"""The demo's two stories on the sandbox, run through Dagster in this process.

Order to cash: shop orders become FreshBooks clients and invoices, then Infor customers and
orders; Infor ships and invoices some (the sandbox's controls); FreshBooks marks them sent and
the payments become Infor cash receipts that reconcile AR. Expenses: FreshBooks expenses become
balanced GL journals, one of which Infor refuses on every attempt until it is a dead letter.

Every asset is built once, the marts last, on what both systems then hold. In between, each pass
runs only what the last pushes changed and the path from there to the pushes, until a pass
writes nothing. `demo_steps` yields each step as it ends, for a face to show; the last is the
finance summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from dagster import AssetCheckEvaluation, AssetSelection

from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from ledgerlink.warehouse import connect
from orchestration.assets.push import push_key
from orchestration.finance_summary import FinanceSummary, finance_summary
from orchestration.in_process import PUSHES, InProcessRuns, RunOutcome, raw_tables
from reverse_etl.runner import select_syncs

# A new shop order needs client -> invoice -> customer -> order; then Infor's shipments and the
# payments flow back, and one more pass finds nothing left to write.
MAX_PASSES = 5
JOURNALS = "infor_gl_journals"
SHIPPED_ORDERS = 6
MARTS = AssetSelection.groups("marts")
# What Infor changes when it ships and invoices an order: the order and its deliveries, the
# customer invoice and its AR item.
SHIPPING_CHANGES = raw_tables("raw_infor", "customer_orders", "customer_invoices", "ar_open_items")


@dataclass
class Ran:
    """A run ended: the full build, the first push, a pass, a retried push or the marts."""

    outcome: RunOutcome


@dataclass
class Planted:
    journal: str | None


@dataclass
class Shipped:
    orders: list[str]


@dataclass
class DeadLetter:
    journal: str
    letter: tuple[str, str] | None  # id, reason


@dataclass
class Summarized:
    summary: FinanceSummary


DemoStep = Ran | Planted | Shipped | DeadLetter | Summarized


def demo_steps(settings: Settings, runs: InProcessRuns, infor_url: str) -> Iterator[DemoStep]:
    """Run both stories and yield each step as it ends (raising if a run fails)."""
    checks: list[AssetCheckEvaluation] = []

    def ran(outcome: RunOutcome) -> Ran:
        if not outcome.success:
            raise LedgerlinkError(
                f"the Dagster run {outcome.label} ({outcome.run_id[:8]}) failed: "
                f"{'; '.join(outcome.errors[:2]) or 'see it in the UI (make dev)'}"
            )
        checks.extend(outcome.checks)
        return Ran(outcome)

    # The marts (and the analytics on them) feed no push: they are built once, at the end, on
    # what both systems then hold. Everything else is built now.
    yield ran(runs.run("build", AssetSelection.all() - PUSHES - MARTS))
    journal = _plant_a_refused_journal(settings, infor_url)
    yield Planted(journal)
    outcome = runs.run("pass 1", PUSHES)
    yield ran(outcome)

    # Each pass reads back what the last one's pushes wrote and runs the path from there to the
    # pushes. Pass 2 brings the shop orders' new FreshBooks invoices to Infor; then Infor ships
    # and invoices some orders, pass 3 reads that back too, and the passes end with the first
    # one after it that writes nothing.
    changed = outcome.tables_written()
    for number in range(2, MAX_PASSES + 1):
        if number == 3:
            shipped = _ship_and_invoice(settings, infor_url)
            yield Shipped(shipped)
            changed |= SHIPPING_CHANGES if shipped else set()
        if not changed:
            break
        outcome = runs.run(f"pass {number}", runs.path_to_pushes(changed))
        yield ran(outcome)
        if not outcome.written and number >= 3:
            break
        changed = outcome.tables_written()

    if journal:
        letter = _open_dead_letter(settings, journal)
        for _ in range(select_syncs([JOURNALS])[0].max_attempts):
            if letter:
                break
            yield ran(runs.run("retry", [push_key(JOURNALS)]))
            letter = _open_dead_letter(settings, journal)
        # Lifted, so that `ledgerlink dlq replay` can write it (once) afterwards.
        httpx.delete(f"{infor_url}/_sandbox/infor/faults", timeout=10).raise_for_status()
        yield DeadLetter(journal, letter)
    # The snapshots again: the audit history then holds each record before and after the sync.
    yield ran(runs.run("marts", MARTS | AssetSelection.groups("audit")))
    yield Summarized(finance_summary(settings, checks))


def _plant_a_refused_journal(settings: Settings, infor_url: str) -> str | None:
    """Make Infor refuse one planned GL journal every time (as M3 does for a blocked account),
    so the demo shows a record becoming a dead letter."""
    with connect(settings) as con:
        row = con.execute(
            "select natural_key from sync.sync_infor__gl_journals order by natural_key limit 1"
        ).fetchone()
    if row is None:
        return None
    fault = {
        "program": "GLS840MI",
        "transaction": "AddBatchLineFld",
        "errorCode": "XBL0001",
        "errorMessage": "Account is blocked for posting",
        "field": "AIT1",
        "count": 1000,
        "when": {"KEY1": row[0]},
    }
    httpx.post(f"{infor_url}/_sandbox/infor/faults", json=fault, timeout=10).raise_for_status()
    return str(row[0])


def _ship_and_invoice(settings: Settings, infor_url: str) -> list[str]:
    """Ship and invoice pushed orders in Infor: half of them paid in FreshBooks already (their
    receipts follow), half still drafts in FreshBooks (they get marked sent)."""
    with connect(settings) as con:
        orders = con.execute(
            # staging is views on the raw tables: current, although the passes build no marts
            "select r.target_id, i.v3_status = 'draft' as is_draft from ops.sync_records r "
            "join staging.stg_freshbooks__invoices i on i.invoice_number = r.natural_key "
            "where r.entity = 'customer_orders' and r.target_id is not null and not i.is_deleted "
            "and (i.v3_status = 'draft' or (i.paid_amount = i.amount and i.amount > 0)) "
            "qualify row_number() over (partition by is_draft order by r.natural_key) <= ? "
            "order by r.natural_key",
            [SHIPPED_ORDERS // 2],
        ).fetchall()
    for order_number, _ in orders:
        for step in ("ship", "invoice"):
            url = f"{infor_url}/_sandbox/infor/orders/{order_number}/{step}"
            httpx.post(url, timeout=10).raise_for_status()
    return [order for order, _ in orders]


def _open_dead_letter(settings: Settings, journal: str) -> tuple[str, str] | None:
    with connect(settings) as con:
        return con.execute(
            "select left(intent_key, 12), reason from ops.dead_letters "
            "where natural_key = ? and status = 'open'",
            [journal],
        ).fetchone()
