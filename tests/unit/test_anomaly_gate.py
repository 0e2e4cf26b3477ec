"""The pre-posting gate's scores: amounts against the customer's own history (or the
population's when theirs is short), duplicates, currencies; reasons a controller reads; and the
review moves of the record state machine (held, approved once, rejected for good)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reverse_etl import states
from reverse_etl.anomaly_gate import BATCH_SCHEMA, HISTORY_SCHEMA, KINDS, score
from reverse_etl.definitions import HoldRules, load_syncs
from reverse_etl.ledger import Ledger
from reverse_etl.states import RECORD, IllegalTransition

AMOUNTS = HoldRules(amount_z=5)
EVERYTHING = HoldRules(amount_z=5, duplicates=True, currency=True)
START = date(2025, 1, 6)


def past(amounts: list[Decimal], party: str = "acme", currency: str = "USD") -> list[dict]:
    """Past invoices, a week apart, each with its own number."""
    return [
        {
            "source_key": f"{party}-{i}",
            "party": party,
            "amount": amount,
            "currency": currency,
            "on_date": START + timedelta(days=7 * i),
            "reference": f"INV-{party}-{i:04d}",
        }
        for i, amount in enumerate(amounts)
    ]


def outbound(key: str, amount: Decimal, *, party="acme", currency="USD", m3=None, **row) -> dict:
    return {
        "key": key,
        "source_key": key,
        "party": party,
        "amount": amount,
        "currency": currency,
        "on_date": row.get("on_date", date(2026, 1, 5)),
        "reference": row.get("reference", f"NEW-{key}"),
        "m3_currency": m3,
    }


def held(history: list[dict], batch: list[dict], rules: HoldRules = EVERYTHING) -> dict:
    """Key -> reasons of the batch rows held (the batch is part of the history, as in a push)."""
    findings = score(
        pa.Table.from_pylist(batch, schema=BATCH_SCHEMA),
        pa.Table.from_pylist(
            history + [{k: r[k] for k in HISTORY_SCHEMA.names} for r in batch],
            schema=HISTORY_SCHEMA,
        ),
        rules,
        "invoice",
    )
    return {key: finding.reasons for key, finding in findings.items()}


USUAL = [Decimal(v) for v in ("1500.00", "1550.00", "1490.00", "1620.00", "1580.00")] * 5


def test_an_outlier_amount_is_held_with_a_reason_in_words():
    reasons = held(past(USUAL), [outbound("big", Decimal("93000.00"))])
    assert reasons == {
        "big": (
            "amount 93,000.00 is 60x this customer's median invoice of 1,550.00 over 25 invoices",
        )
    }


def test_an_ordinary_amount_passes():
    assert held(past(USUAL), [outbound("usual", Decimal("1700.00"))]) == {}


def test_a_customer_with_little_history_is_scored_by_their_own_median():
    history = past(USUAL, "big-customer") + past([Decimal("140.00")], "new-customer")
    reasons = held(history, [outbound("big", Decimal("9000.00"), party="new-customer")])
    assert reasons["big"] == (
        "amount 9,000.00 is 64x this customer's median invoice of 140.00 over 1 invoice",
    )


def test_a_customer_with_no_history_is_scored_against_the_population():
    reasons = held(past(USUAL), [outbound("big", Decimal("93000.00"), party="first-timer")])
    assert reasons["big"] == (
        "amount 93,000.00 is 60x the median invoice of 1,550.00 over all 26 invoices "
        "(this customer has none before)",
    )


def test_a_duplicate_of_a_posted_invoice_is_held_and_the_first_of_two_twins_goes_through():
    history = past(USUAL)
    twin = history[-1]
    again = outbound(
        "again", twin["amount"], on_date=twin["on_date"] + timedelta(days=2),
        reference=twin["reference"] + "A",
    )  # fmt: skip
    first = outbound("first", Decimal("999.00"), reference="INV-77")
    second = outbound("second", Decimal("999.00"), reference="INV-77 ")
    reasons = held(history, [again, first, second])
    assert set(reasons) == {"again", "second"}
    assert reasons["again"][0].startswith(f"possible duplicate of invoice {twin['reference']} of ")
    assert "(already in the books)" in reasons["again"][0]
    assert "(earlier in this batch)" in reasons["second"][0]


def test_the_same_amount_weeks_apart_is_no_duplicate():
    history = past([Decimal("250.00")] * 10)
    assert held(history, [outbound("monthly", Decimal("250.00"))]) == {}


def test_a_currency_other_than_the_customers_usual_or_its_m3_customers_is_held():
    reasons = held(
        past(USUAL),
        [
            outbound("euro", Decimal("1500.00"), currency="EUR"),
            outbound("m3", Decimal("1500.00"), currency="USD", m3="CAD", on_date=START),
        ],
    )
    assert reasons["euro"] == (
        "currency EUR differs from this customer's usual USD (26 of 26 invoices)",
    )
    assert reasons["m3"] == ("currency USD is not the M3 customer's currency CAD",)


def test_switched_off_checks_hold_nothing():
    rules = HoldRules()
    batch = [outbound("big", Decimal("48200.00"), currency="EUR", m3="CAD")]
    assert held(past(USUAL), batch, rules) == {}


amounts = st.lists(
    st.decimals(min_value=Decimal("1.00"), max_value=Decimal("100000.00"), places=2),
    min_size=1,
    max_size=40,
)


@settings(max_examples=30, deadline=None)
@given(amounts)
def test_a_row_equal_to_the_customers_median_is_never_held(history_amounts):
    ordered = sorted(history_amounts)
    median = ordered[(len(ordered) - 1) // 2]  # an amount the customer did invoice
    assert held(past(history_amounts), [outbound("median", median)], AMOUNTS) == {}


@settings(max_examples=30, deadline=None)
@given(amounts, st.decimals(min_value=Decimal("1.00"), max_value=Decimal("10000000.00"), places=2))
def test_scaling_history_and_row_alike_gives_the_same_decision(history_amounts, amount):
    decisions = set()
    for factor in (1, 10, 1000):
        scaled = past([a * factor for a in history_amounts])
        decisions.add(bool(held(scaled, [outbound("row", amount * factor)], AMOUNTS)))
    assert len(decisions) == 1


def test_every_sync_that_declares_hold_has_a_history_to_learn_from():
    gated = [sync.name for sync in load_syncs() if sync.hold is not None]
    assert gated and set(gated) <= set(KINDS)


# --- the review moves of a record --------------------------------------------------------------
def test_a_held_record_is_approved_once_or_rejected_for_good():
    assert RECORD.allows("hold", states.PENDING, states.HELD_FOR_REVIEW)
    assert RECORD.allows("approve", states.HELD_FOR_REVIEW, states.APPROVED)
    assert RECORD.allows("attempt", states.APPROVED, states.PENDING)
    assert RECORD.allows("reject", states.HELD_FOR_REVIEW, states.REJECTED)
    assert not any(
        RECORD.allows(t.event, states.REJECTED, target)
        for t in RECORD.transitions.values()
        for target in t.targets
    )
    assert states.HELD_FOR_REVIEW in RECORD.where(needs_attention=True)
    assert states.HELD_FOR_REVIEW not in states.OPEN and states.APPROVED in states.OPEN


def test_the_ledger_keeps_the_reasons_and_who_decided():
    with duckdb.connect() as con:
        ledger = Ledger(con)
        run = ledger.start_run("push")
        intent = ledger.record_intent("infor", "customer_orders", "INV-1", "h1", "create", run)
        ledger.hold(intent.key, {"CUOR": "INV-1"}, ["amount 9,000.00 is 60x ..."])
        (record,) = ledger.held()
        assert record["reasons"] == ["amount 9,000.00 is 60x ..."]
        assert ledger.find_held(intent.key[:6])["natural_key"] == "INV-1"
        assert ledger.approve(intent.key, "controller").status == states.APPROVED
        with pytest.raises(IllegalTransition, match="approve does not apply"):
            ledger.approve(intent.key, "controller")  # approved once: written once
        (decided,) = ledger.held(states.APPROVED)
        assert decided["decided_by"] == "controller" and decided["decided_at"] is not None
        with pytest.raises(IllegalTransition, match="reject does not apply"):
            ledger.reject(intent.key, "too late", "auditor")
        assert [a["action"] for a in ledger.actions_of(intent.key)] == ["approve"]
