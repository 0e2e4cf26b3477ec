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
description by `difflib` ratio. Figures are for comparison on one machine, never absolute.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import random
import time
from collections import Counter
from pathlib import Path

import duckdb

from reverse_etl.mapping_suggestions import expense_category_suggestions, normalise
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--folds", type=int, default=3, help="hidden halves per renaming")
    parser.add_argument("--scale", type=float, default=1.0, help="of the generator's world")
    args = parser.parse_args()

    with SEED_FILE.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = list(reader.fieldnames or []), list(reader)
    truth = {r["expense_category"]: r["gl_account"] for r in rows}
    world = World(seed=42, scale=args.scale)
    accounts = {
        n: name
        for n, name, g, k in CHART_OF_ACCOUNTS
        if k == "P" and g == "EXPENSE" and n not in BLOCKED_ACCOUNTS
    }
    hits: dict[str, Counter[str]] = {m: Counter() for m in ("service", "exact", "fuzzy")}
    asked, seconds = 0, 0.0
    for how in RENAMINGS:
        for fold in range(args.folds):
            rng = random.Random(f"{args.seed}:{how}:{fold}")
            names = sorted(truth)
            hidden_names = rng.sample(names, len(names) // 2)
            hidden = {c: rename(c, how, rng) for c in hidden_names}
            hidden[UNMAPPED_EXPENSE_CATEGORY] = UNMAPPED_EXPENSE_CATEGORY
            expected = {v: truth.get(c, PLANTED_TRUTH) for c, v in hidden.items()}
            visible = [r for r in rows if r["expense_category"] not in hidden]
            con = warehouse(world, truth, hidden)
            started = time.perf_counter()
            found = expense_category_suggestions(con, columns, visible)
            seconds += time.perf_counter() - started
            by_value = {s.value: s for s in found}
            for value, answer in expected.items():
                asked += 1
                s = by_value.get(value)
                ranked = (
                    [s.row["gl_account"], *(a["gl_account"] for a in s.alternatives)] if s else []
                )
                for method, guesses in (
                    ("service", ranked),
                    ("exact", exact_baseline(value, accounts)),
                    ("fuzzy", fuzzy_baseline(value, accounts)),
                ):
                    hits[method]["top1"] += guesses[:1] == [answer]
                    hits[method]["top3"] += answer in guesses[:3]
                if not ranked or ranked[0] != answer:
                    hits["service"][f"missed: {value!r} -> {ranked[:1]} (truth {answer})"] += 1

    print(
        f"expense category -> GL account: {asked} held-out values, {len(RENAMINGS)} renamings "
        f"x {args.folds} folds (seed {args.seed})"
    )
    print(f"{'method':<28}{'top-1':>8}{'top-3':>8}")
    for method, label in (
        ("service", "suggestions (this service)"),
        ("exact", "exact name match"),
        ("fuzzy", "closest name (difflib)"),
    ):
        print(
            f"{label:<28}{hits[method]['top1'] / asked:>8.1%}{hits[method]['top3'] / asked:>8.1%}"
        )
    print(f"time to score: {seconds:.2f} s in all, {1000 * seconds / asked:.1f} ms per value")
    misses = sorted(k for k in hits["service"] if k.startswith("missed"))
    for line in misses[:15]:
        print(f"  {line}")
    print(
        "item and payment method mappings: not scored yet (the service suggests expense categories)"
    )


if __name__ == "__main__":
    main()
