"""The procure-to-pay world: its planted problems, and that adding it moved nothing else.

Every other test counts on the rest of the world (clients, invoices, payments, expenses,
customers, orders, ...) staying exactly what it was for a seed and scale: the procurement draws
from its own random streams and is seeded after everything else.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.clock import SandboxClock
from sandbox.database import Database
from sandbox.freshbooks.seed import load_world as load_freshbooks
from sandbox.generator import (
    PLANTED_DUPLICATE_BILL,
    PLANTED_UNBALANCED_BILL,
    PLANTED_UNMAPPED_BILL,
    UNMAPPED_EXPENSE_CATEGORY,
    World,
)
from sandbox.infor.seed import load_world as load_infor
from sandbox.infor.store import Store

REPO = Path(__file__).resolve().parents[2]
# The last commit whose world had no procurement in it: the reference for everything else.
BEFORE_PROCUREMENT = "f6a4bcc"
# The tables procurement adds rows to or creates, and the sequences it numbers from.
PROCUREMENT_TABLES = {
    "freshbooks": {"bill_vendors", "bills", "bill_payments"},
    "infor": {
        "suppliers", "supplier_refs", "purchase_orders", "purchase_lines", "supplier_invoices",
        "supplier_invoice_lines", "ap_items", "item_balances", "sequences",
    },
}  # fmt: skip


class WorldWithoutProcurement(World):
    p2p_suppliers = ()
    bill_count = 0
    purchase_order_count = 0


def _tables(path: Path, skip: set[str]) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as db:
        names = [
            row[0]
            for row in db.execute(
                "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
            )
        ]
        return {
            name: db.execute(f"select * from {name} order by 1, 2").fetchall()
            for name in names
            if name not in skip
        }


def _seeded(tmp: Path, world: World) -> dict[str, dict[str, list[tuple]]]:
    tmp.mkdir()
    load_freshbooks(Database(tmp / "freshbooks.db"), world)
    load_infor(Store(Database(tmp / "infor.db"), SandboxClock()), world)
    return {
        system: _tables(tmp / f"{system}.db", PROCUREMENT_TABLES[system])
        for system in ("freshbooks", "infor")
    }


def test_procurement_adds_no_row_to_the_rest_of_the_seeded_systems(tmp_path: Path) -> None:
    with_it = _seeded(tmp_path / "with", World(seed=42, scale=1.0))
    without = _seeded(tmp_path / "without", WorldWithoutProcurement(seed=42, scale=1.0))
    assert with_it == without
    assert len(with_it["freshbooks"]["invoices"]) == 200


def test_procurement_rows_come_after_the_rest(tmp_path: Path) -> None:
    """Orders and suppliers the rest of the world had keep their numbers; procurement adds."""
    world = World(seed=42, scale=1.0)
    with_it = tmp_path / "with"
    _seeded(with_it, world)
    _seeded(tmp_path / "without", WorldWithoutProcurement(seed=42, scale=1.0))
    before = _tables(tmp_path / "without" / "infor.db", set())
    after = _tables(with_it / "infor.db", set())
    for table in ("suppliers", "purchase_orders", "purchase_lines"):
        assert set(before[table]) <= set(after[table]), table
    added = len(after["purchase_orders"]) - len(before["purchase_orders"])
    assert added == world.purchase_order_count


def _generator_before() -> object:
    """`sandbox/generator.py` as it was before procurement, loaded as a module of its own."""
    try:
        source = subprocess.run(
            ["git", "show", f"{BEFORE_PROCUREMENT}:sandbox/generator.py"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"git history without {BEFORE_PROCUREMENT} (a shallow or exported copy)")
    spec = importlib.util.spec_from_loader("generator_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generator_before"] = module
    try:
        exec(compile(source, f"{BEFORE_PROCUREMENT}:sandbox/generator.py", "exec"), module.__dict__)
    finally:
        del sys.modules["generator_before"]
    return module


def _everything_else(world: object) -> str:
    return json.dumps(
        [
            repr(world.companies),  # type: ignore[attr-defined]
            repr(world.products),  # type: ignore[attr-defined]
            repr(world.taxes),  # type: ignore[attr-defined]
            repr(world.expense_categories),  # type: ignore[attr-defined]
            repr(list(world.iter_sales())),  # type: ignore[attr-defined]
            repr(list(world.iter_expenses())),  # type: ignore[attr-defined]
        ]
    )


@pytest.mark.parametrize(("seed", "scale"), [(42, 1.0), (7, 0.3)])
def test_the_rest_of_the_world_is_what_it_was_before_procurement(seed: int, scale: float) -> None:
    before = _generator_before().World(seed=seed, scale=scale)  # type: ignore[attr-defined]
    now = World(seed=seed, scale=scale)
    # Same classes by name and field: compare their reprs, module names aside.
    assert _everything_else(before) == _everything_else(now)


# --- the planted problems -------------------------------------------------------------------------
WORLD = World(seed=42, scale=1.0)


def test_one_vendor_is_spelled_differently_in_each_system() -> None:
    [supplier] = [s for s in WORLD.p2p_suppliers if s.how_matched == "email"]
    assert supplier.freshbooks_name and supplier.infor_name
    assert supplier.freshbooks_name.upper() != supplier.infor_name


def test_a_bill_has_an_expense_category_no_mapping_knows() -> None:
    bill = WORLD.bill(PLANTED_UNMAPPED_BILL)
    assert UNMAPPED_EXPENSE_CATEGORY in {line.category for line in bill.lines}
    assert not bill.deleted


def test_two_bills_of_one_vendor_share_a_number() -> None:
    first, second = WORLD.bill(PLANTED_DUPLICATE_BILL - 1), WORLD.bill(PLANTED_DUPLICATE_BILL)
    assert (first.number, first.supplier_index) == (second.number, second.supplier_index)
    numbers = [bill.number for bill in WORLD.iter_bills()]
    assert len(numbers) - len(set(numbers)) == 1


def test_one_bill_does_not_balance_line_by_line() -> None:
    """Its lines' own taxes add up to more than the bill's tax, rounded once on their sum."""
    bill = WORLD.bill(PLANTED_UNBALANCED_BILL)
    lines_tax = sum(line.tax_amount for line in bill.lines)
    assert lines_tax != bill.tax
    supplier = WORLD.p2p_suppliers[bill.supplier_index]
    assert supplier.in_infor and supplier.in_freshbooks


@pytest.mark.parametrize(("seed", "scale"), [(42, 1.0), (3, 0.1), (11, 5.0)])
def test_the_procurement_world_holds_at_any_seed_and_scale(seed: int, scale: float) -> None:
    world = World(seed=seed, scale=scale)
    orders = list(world.iter_purchase_orders())
    received = [line.received == line.quantity for order in orders for line in order.lines]
    assert any(received) and not all(received)
    bills = list(world.iter_bills())
    assert any(bill.payments for bill in bills)
    for bill in bills:
        assert sum(payment.amount for payment in bill.payments) <= bill.total
