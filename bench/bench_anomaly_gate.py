"""The pre-posting gate on a labelled set: precision, recall, clean records held, and the time to
score 100,000 outbound rows, beside the simplest baseline (one global amount cap).

The set is generated with a fixed seed. Customers each have a typical invoice (log-uniform,
50 to 20,000) and a spread of their own (log sigma 0.3 to 1.2: some invoice much the same
amount, others anything), a currency, and 0 to 60 past invoices (the clean history the scores
learn from). The outbound rows are new invoices of the same customers, held out: the amounts
and currencies are learned from the history alone. About 1% of them each are planted:
- outlier amounts: the customer's typical invoice times ~100 or ~1,000 (a missed decimal
  point, extra zeros);
- duplicates: a past or earlier outbound invoice of the customer again, same amount, 0 to 3
  days later, its number retyped (a suffix or one character changed);
- wrong currency: another currency than the customer's.
The gate runs with the thresholds syncs.yml gives customer orders; the baseline holds every
amount above the history's 99th percentile.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa

from reverse_etl.anomaly_gate import BATCH_SCHEMA, HISTORY_SCHEMA, score
from reverse_etl.definitions import load_syncs

SEED = 20260105
CUSTOMERS = 4_000
OUTBOUND = 100_000
PLANTED_SHARE = 0.01  # of the outbound rows, per kind of problem
CURRENCIES = ("USD", "CAD", "EUR", "GBP")
START = date(2023, 1, 2)
HISTORY_DAYS = 3 * 365
CENT = Decimal("0.01")


def money(value: float) -> Decimal:
    return Decimal(str(round(max(value, 1.0), 2))).quantize(CENT)


def retyped(number: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return number + rng.choice(("A", "-2", " "))
    i = rng.randrange(len(number))
    return number[:i] + rng.choice("0123456789") + number[i + 1 :]


def generate() -> tuple[list[dict], list[dict], dict[str, str]]:
    """(history, outbound rows, label per outbound key: clean | amount | duplicate | currency)."""
    rng = random.Random(SEED)
    customers = []
    for c in range(CUSTOMERS):
        customers.append(
            {
                "party": f"C{c:05d}",
                "typical": 50 * (400 ** rng.random()),
                "sigma": rng.uniform(0.3, 1.2),
                "currency": rng.choices(CURRENCIES, (70, 15, 10, 5))[0],
                "past": rng.choice((0, 1, 2, 3, *range(4, 61))),
            }
        )
    history: list[dict] = []
    number = 0
    for customer in customers:
        for _ in range(customer["past"]):
            number += 1
            history.append(
                {
                    "source_key": f"h{number}",
                    "party": customer["party"],
                    "amount": money(rng.lognormvariate(0, customer["sigma"]) * customer["typical"]),
                    "currency": customer["currency"],
                    "on_date": START + timedelta(days=rng.randrange(HISTORY_DAYS)),
                    "reference": f"INV-{number:07d}",
                }
            )
    by_party: dict[str, list[dict]] = {}
    for row in history:
        by_party.setdefault(row["party"], []).append(row)

    outbound: list[dict] = []
    labels: dict[str, str] = {}
    first_day = START + timedelta(days=HISTORY_DAYS)
    for i in range(OUTBOUND):
        customer = rng.choice(customers)
        number += 1
        key = f"o{i}"
        row = {
            "key": key,
            "source_key": key,
            "party": customer["party"],
            "amount": money(rng.lognormvariate(0, customer["sigma"]) * customer["typical"]),
            "currency": customer["currency"],
            "on_date": first_day + timedelta(days=rng.randrange(90)),
            "reference": f"INV-{number:07d}",
            "m3_currency": None,
        }
        roll, label = rng.random(), "clean"
        twins = by_party.get(customer["party"], []) + [
            r for r in outbound[-200:] if r["party"] == customer["party"]
        ]
        if roll < PLANTED_SHARE:
            label = "amount"
            factor = rng.choice((100, 1000)) * rng.uniform(0.8, 1.25)
            row["amount"] = money(customer["typical"] * factor)
        elif roll < 2 * PLANTED_SHARE and twins:
            label = "duplicate"
            twin = rng.choice(twins)
            row.update(
                amount=twin["amount"],
                currency=twin["currency"],
                on_date=twin["on_date"] + timedelta(days=rng.randint(0, 3)),
                reference=retyped(twin["reference"], rng),
            )
        elif roll < 3 * PLANTED_SHARE:
            label = "currency"
            row["currency"] = rng.choice([c for c in CURRENCIES if c != customer["currency"]])
        labels[key] = label
        outbound.append(row)
    return history, outbound, labels


def figures(held: set[str], labels: dict[str, str]) -> dict[str, float]:
    anomalous = {k for k, label in labels.items() if label != "clean"}
    clean = set(labels) - anomalous
    caught = held & anomalous
    return {
        "precision": len(caught) / len(held) if held else 1.0,
        "recall": len(caught) / len(anomalous),
        "clean_held": len(held & clean) / len(clean),
        **{
            f"recall_{kind}": len(held & {k for k, v in labels.items() if v == kind})
            / max(1, sum(1 for v in labels.values() if v == kind))
            for kind in ("amount", "duplicate", "currency")
        },
    }


def main() -> None:
    rules = next(s for s in load_syncs() if s.name == "infor_customer_orders").hold
    assert rules is not None
    made = time.perf_counter()
    history, outbound, labels = generate()
    made = time.perf_counter() - made
    print(
        f"labelled set (seed {SEED}): {len(history):,} past invoices of {CUSTOMERS:,} customers, "
        f"{len(outbound):,} outbound rows ({sum(v != 'clean' for v in labels.values()):,} "
        f"planted), generated in {made:.1f} s"
    )

    started = time.perf_counter()
    batch = pa.Table.from_pylist(outbound, schema=BATCH_SCHEMA)
    # what the warehouse holds when the push runs: the history and the outbound rows
    every = pa.concat_tables(
        [pa.Table.from_pylist(history, schema=HISTORY_SCHEMA), batch.select(HISTORY_SCHEMA.names)]
    )
    built = time.perf_counter() - started
    scoring = time.perf_counter()
    findings = score(batch, every, rules, "invoice", learn_from_batch=False)
    scored = time.perf_counter() - scoring
    gate = figures(set(findings), labels)

    amounts = sorted(row["amount"] for row in history)
    cap = amounts[int(0.99 * (len(amounts) - 1))]
    baseline = figures({row["key"] for row in outbound if row["amount"] > cap}, labels)

    print(f"thresholds: {rules.model_dump()}")
    print(f"{'':<34}{'gate':>10}{'baseline':>12}   (baseline: hold every amount above {cap:,})")
    for name, label in (
        ("precision", "precision (goal >= 80%)"),
        ("recall", "recall (goal >= 95%)"),
        ("clean_held", "clean records held (goal <= 1%)"),
        ("recall_amount", "  recall, outlier amounts"),
        ("recall_duplicate", "  recall, duplicates"),
        ("recall_currency", "  recall, wrong currency"),
    ):
        print(f"{label:<34}{gate[name]:>10.2%}{baseline[name]:>12.2%}")
    print(
        f"time to score {len(outbound):,} outbound rows: {scored:.2f} s (goal <= 10 s), "
        f"{built + scored:.2f} s with building the Arrow tables"
    )
    example = next((f for k, f in findings.items() if labels[k] == "amount"), None)
    if example:
        print(f"a reason as a controller reads it: {example.reasons[0]}")


if __name__ == "__main__":
    main()
