"""Mapping suggestions: top-1 and top-3 accuracy on held-out mappings, beside name matching.

Usage: `.venv/bin/python bench/bench_mapping_suggest.py [--seed 7] [--folds 3] [--scale 1.0]`

The labelled set comes from the sandbox's own world, no server needed: the Infor chart of
accounts the emulator seeds, the expenses the generator draws (vendors, categories), the
finance team's monthly GL vouchers, and the project's expense category -> GL account seed as
the truth. Each fold (a fixed seed) hides half the mapped categories and renames each hidden
one the way a FreshBooks user might (as is; lower case with "and"; abbreviated words; a word
dropped; a typo), plus the category no mapping knows (its truth: Bank fees). The service then
scores them on an in-memory warehouse holding only what the fold leaves visible. Baselines on
the same questions: exact name match against the account descriptions, and the closest
description by `difflib` ratio. Payment methods: each row of the project's payment method table
is hidden in turn and suggested from the others (against an exact and a `difflib` match of the
names mapped). Items: the products the generator draws are Infor's item master (number,
name ITDS, description FUDS, as the emulator seeds MMS200MI); each fold hides half of them behind
FreshBooks SKUs Infor does not know, renamed as above (name and line description), and keeps the
other half in the item crosswalk. Baselines: exact and `difflib` match of the item's name
against the item master's names. Figures are for comparison on one machine, never absolute.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import duckdb

from reverse_etl.mapping_suggestions import (
    Suggestion,
    expense_category_suggestions,
    item_suggestions,
    normalise,
    payment_method_suggestions,
)
from sandbox.generator import UNMAPPED_EXPENSE_CATEGORY, World
from sandbox.infor.seed import BLOCKED_ACCOUNTS, CHART_OF_ACCOUNTS, MONTHLY_JOURNALS

SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
SEED_FILE = SEED / "expense_category_gl_accounts.csv"
PLANTED_TRUTH = "6800"  # Bank fees
RENAMINGS = ("as named", "lower case", "abbreviated", "word dropped", "typo")


def rename(name: str, how: str, rng: random.Random) -> str:
    words = name.replace("&", "and").split()
    if how == "lower case":
        return " ".join(words).lower()
    if how == "abbreviated":
        return " ".join(w if len(w) <= 4 else w[:4] + "." for w in words)
    if how == "word dropped" and len(words) > 1:
        content = [i for i, w in enumerate(words) if w.lower() not in ("and", "or", "&")]
        drop = rng.choice(content)
        return " ".join(w for i, w in enumerate(words) if i != drop)
    if how == "typo" and len(name) > 4:
        i = rng.randrange(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name


def warehouse(
    world: World, truth: dict[str, str], hidden: dict[str, str]
) -> duckdb.DuckDBPyConnection:
    """What the warehouse would hold: hidden categories under their new names, unmapped."""
    con = duckdb.connect()
    con.execute("create schema sync; create schema marts; create schema intermediate")
    con.execute(
        "create table marts.dim_gl_accounts (account_number varchar, account_name varchar, "
        "account_short_name varchar, account_group varchar, is_profit_and_loss_account boolean, "
        "is_blocked boolean)"
    )
    con.executemany(
        "insert into marts.dim_gl_accounts values (?, ?, null, ?, ?, ?)",
        [(n, name, g, k == "P", n in BLOCKED_ACCOUNTS) for n, name, g, k in CHART_OF_ACCOUNTS],
    )
    con.execute(
        "create table marts.fct_gl_journal_lines (voucher_text varchar, account_number varchar, "
        "debit_amount decimal(18, 2))"
    )
    months = 12 * world.history_years
    con.executemany(
        "insert into marts.fct_gl_journal_lines values (?, ?, 1)",
        [(text, account) for account, text, _, _ in MONTHLY_JOURNALS for _ in range(months)],
    )
    con.execute(
        "create table intermediate.int_expenses_mapped (vendor varchar, category_name varchar, "
        "gl_account varchar, is_mapped boolean)"
    )
    expenses = []
    for e in world.iter_expenses():
        name = hidden.get(e.category, e.category)
        mapped = e.category in truth and e.category not in hidden
        expenses.append((e.vendor, name, truth[e.category] if mapped else None, mapped))
    con.executemany("insert into intermediate.int_expenses_mapped values (?, ?, ?, ?)", expenses)
    con.execute("create table sync.sync_rejects (reason_code varchar, reason varchar)")
    con.executemany(
        "insert into sync.sync_rejects values ('unmapped_expense_category', ?)",
        [
            [f'expense category "{name}" has no GL account mapping']
            for _, name, _, m in expenses
            if not m
        ],
    )
    return con


def exact_baseline(value: str, accounts: dict[str, str]) -> list[str]:
    return [n for n, d in accounts.items() if normalise(d) == normalise(value)][:1]


def fuzzy_baseline(value: str, accounts: dict[str, str]) -> list[str]:
    def ratio(d: str) -> float:
        return difflib.SequenceMatcher(None, normalise(value), normalise(d)).ratio()

    return sorted(accounts, key=lambda n: (-ratio(accounts[n]), n))[:3]


Tally = tuple[int, dict[str, Counter[str]], float]


def score(
    tally: dict[str, Counter[str]], value: str, answer: str, guesses: dict[str, list[str]]
) -> None:
    for method, ranked in guesses.items():
        tally[method]["top1"] += ranked[:1] == [answer]
        tally[method]["top3"] += answer in ranked[:3]
    if guesses["service"][:1] != [answer]:
        tally["missed"][f"{value!r} -> {guesses['service'][:1]} (truth {answer})"] += 1


def ranked(suggestion: Suggestion | None, column: str) -> list[str]:
    if suggestion is None:
        return []
    return [suggestion.row[column], *(str(a["target"]) for a in suggestion.alternatives)]


def expense_categories(seed: int, folds: int, scale: float) -> Tally:
    with SEED_FILE.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = list(reader.fieldnames or []), list(reader)
    truth = {r["expense_category"]: r["gl_account"] for r in rows}
    world = World(seed=42, scale=scale)
    accounts = {
        n: name
        for n, name, g, k in CHART_OF_ACCOUNTS
        if k == "P" and g == "EXPENSE" and n not in BLOCKED_ACCOUNTS
    }
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    asked, seconds = 0, 0.0
    for how in RENAMINGS:
        for fold in range(folds):
            rng = random.Random(f"{seed}:{how}:{fold}")
            hidden_names = rng.sample(sorted(truth), len(truth) // 2)
            hidden = {c: rename(c, how, rng) for c in hidden_names}
            hidden[UNMAPPED_EXPENSE_CATEGORY] = UNMAPPED_EXPENSE_CATEGORY
            expected = {v: truth.get(c, PLANTED_TRUTH) for c, v in hidden.items()}
            visible = [r for r in rows if r["expense_category"] not in hidden]
            con = warehouse(world, truth, hidden)
            started = time.perf_counter()
            found = {s.value: s for s in expense_category_suggestions(con, columns, visible)}
            seconds += time.perf_counter() - started
            for value, answer in expected.items():
                asked += 1
                guesses = {
                    "service": ranked(found.get(value), "gl_account"),
                    "exact": exact_baseline(value, accounts),
                    "fuzzy": fuzzy_baseline(value, accounts),
                }
                score(tally, value, answer, guesses)
    return asked, tally, seconds


def payment_methods() -> Tally:
    """Each row of the payment method table hidden in turn, the others kept."""
    with (SEED / "payment_methods.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = list(reader.fieldnames or []), list(reader)
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    seconds = 0.0
    for hidden in rows:
        visible = [r for r in rows if r is not hidden]
        gateway = hidden["source_value"] if hidden["payment_source"] == "gateway" else ""
        payment_type = "" if gateway else hidden["source_value"]
        con = duckdb.connect()
        con.execute("create schema sync")
        con.execute("create table sync.sync_rejects (reason_code varchar, reason varchar)")
        con.execute(
            "insert into sync.sync_rejects values ('unmapped_payment_method', ?)",
            [f'payment type "{payment_type}" / gateway "{gateway}" has no Infor payment method'],
        )
        started = time.perf_counter()
        found = payment_method_suggestions(con, columns, visible)
        seconds += time.perf_counter() - started
        names = {r["source_value"]: r["payment_method"] for r in visible}
        value = hidden["source_value"]
        guesses = {
            "service": ranked(found[0] if found else None, "payment_method"),
            "exact": [m for v, m in names.items() if v.lower() == value.lower()][:1],
            "fuzzy": list(
                dict.fromkeys(names[v] for v in sorted(names, key=lambda v: (-_ratio(value, v), v)))
            )[:3],
        }
        score(tally, value, hidden["payment_method"], guesses)
    return len(rows), tally, seconds


def item_warehouse(
    world: World, hidden: dict[str, tuple[str, str, str]], skus: dict[str, str]
) -> duckdb.DuckDBPyConnection:
    """Infor's item master, FreshBooks' invoice lines (hidden items unknown in Infor) and the
    orders they hold back."""
    con = duckdb.connect()
    con.execute("create schema sync; create schema marts; create schema intermediate")
    con.execute(
        "create table marts.dim_items (item_number varchar, item_name varchar, "
        "item_description varchar, is_in_infor boolean, is_blocked boolean)"
    )
    con.executemany(
        "insert into marts.dim_items values (?, ?, ?, true, false)",
        [(p.sku, p.name[:30], p.description[:60]) for p in world.products],
    )
    con.execute(
        "create table intermediate.int_invoice_lines_mapped (item_name varchar, sku varchar, "
        "description varchar, m3_item_number varchar, is_known_in_infor boolean)"
    )
    lines = []
    for p in world.products:
        if p.sku in hidden:
            sku, name, text = hidden[p.sku]
            lines += [(name, sku, text, sku, False)] * 3
        else:
            lines += [(p.name, skus[p.sku], p.description, p.sku, True)] * 3
    con.executemany(
        "insert into intermediate.int_invoice_lines_mapped values (?, ?, ?, ?, ?)", lines
    )
    con.execute("create table sync.sync_rejects (reason_code varchar, reason varchar)")
    con.executemany(
        "insert into sync.sync_rejects values ('unknown_item', ?)",
        [[f'invoice line item "{name}" not known in Infor'] for _, name, _ in hidden.values()],
    )
    return con


def items(seed: int, folds: int, scale: float) -> Tally:
    world = World(seed=42, scale=scale)
    names = {p.sku: p.name[:30] for p in world.products}
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    asked, seconds = 0, 0.0
    for how in RENAMINGS:
        for fold in range(folds):
            rng = random.Random(f"{seed}:item:{how}:{fold}")
            # FreshBooks SKUs differ from Infor's numbers: what the crosswalk is for
            skus = {p.sku: f"FB{rng.randrange(10**5, 10**6)}" for p in world.products}
            hidden: dict[str, tuple[str, str, str]] = {}
            for p in rng.sample(world.products, len(world.products) // 2):
                name = rename(p.name, how, rng)
                if any(name == n for _, n, _ in hidden.values()):
                    continue  # FreshBooks names one item once
                hidden[p.sku] = (skus[p.sku], name, rename(p.description, how, rng))
            columns = ["freshbooks_sku", "m3_item_number"]
            visible = [
                {"freshbooks_sku": skus[p.sku], "m3_item_number": p.sku}
                for p in world.products
                if p.sku not in hidden
            ]
            con = item_warehouse(world, hidden, skus)
            started = time.perf_counter()
            found = {s.value: s for s in item_suggestions(con, columns, visible)}
            seconds += time.perf_counter() - started
            for answer, (_, value, _) in hidden.items():
                asked += 1
                guesses = {
                    "service": ranked(found.get(value), "m3_item_number"),
                    "exact": exact_baseline(value, names),
                    "fuzzy": fuzzy_baseline(value, names),
                }
                score(tally, value, answer, guesses)
    return asked, tally, seconds


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, normalise(a), normalise(b)).ratio()


def report(title: str, tally: Tally) -> None:
    asked, hits, seconds = tally
    print(title)
    print(f"  {'method':<28}{'top-1':>8}{'top-3':>8}")
    for method, label in (
        ("service", "suggestions (this service)"),
        ("exact", "exact name match"),
        ("fuzzy", "closest name (difflib)"),
    ):
        top1, top3 = hits[method]["top1"] / asked, hits[method]["top3"] / asked
        print(f"  {label:<28}{top1:>8.1%}{top3:>8.1%}")
    print(f"  time to score: {seconds:.2f} s in all, {1000 * seconds / asked:.1f} ms per value")
    for line in sorted(hits["missed"])[:10]:
        print(f"  missed: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--folds", type=int, default=3, help="hidden halves per renaming")
    parser.add_argument("--scale", type=float, default=1.0, help="of the generator's world")
    args = parser.parse_args()
    tally = expense_categories(args.seed, args.folds, args.scale)
    report(
        f"expense category -> GL account: {tally[0]} held-out values, {len(RENAMINGS)} "
        f"renamings x {args.folds} folds (seed {args.seed})",
        tally,
    )
    tally = payment_methods()
    report(f"payment method: {tally[0]} rows, each held out in turn", tally)
    tally = items(args.seed, args.folds, args.scale)
    report(
        f"item -> Infor item: {tally[0]} held-out items, {len(RENAMINGS)} renamings x "
        f"{args.folds} folds (seed {args.seed})",
        tally,
    )
    print("client -> customer group: not scored (no mapping of clients: rules give the type)")


if __name__ == "__main__":
    main()
