"""The pre-posting gate: score each row a push is about to write, and hold the unusual ones.

A sync declares what holds a row (`hold:` in `syncs.yml`, see `HoldRules`); the history each
row is scored against is what the warehouse already holds (the model the row's plan reads, and
the M3 customers), never a model trained elsewhere. Per row, three checks:

- amount: the robust z-score of the log amount against the same customer's other records
  (median and MAD), when it is at least `amount_z` and the amount at least `amount_ratio`
  times their median. Only amounts above the usual are held: an
  unusually small posting is not what a controller stops. A customer with fewer than
  `min_history` other records is scored by their own median with the spread customers usually
  have (the median customer's MAD); one with none against the sync's whole population.
- duplicates: another record of the same customer with the same amount, dated within
  `duplicate_days`, whose reference is the same or nearly so (Jaro-Winkler), that is already
  in the warehouse or earlier in the same batch (the first of two twins is posted).
- currency: not the currency of most of the customer's other records, or not the currency of
  their M3 customer.

Each hold carries its reasons as sentences a controller reads, and the figures behind them.
Scoring is one set of SQL statements over Arrow tables in an in-memory DuckDB (100,000 rows
in a few seconds); money stays Decimal, only the statistics are floating point.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from ledgerlink.errors import LedgerlinkError
from reverse_etl.definitions import HoldRules, SyncDefinition

# A customer whose records all have the same amount has no spread: this floor (in log units,
# about 10%) keeps a small difference from scoring as infinitely unusual.
MIN_LOG_SCALE = 0.1
MAD_TO_SIGMA = 1.4826  # the MAD of a normal distribution is 0.6745 sigma
# References at least this similar (Jaro-Winkler, 0..1) count as the same.
REFERENCE_SIMILARITY = 0.85
# A customer's usual currency: the one at least this share of their other records use.
USUAL_CURRENCY_SHARE = 0.8


@dataclass(frozen=True)
class Kind:
    """Where one sync's rows and their history are in the warehouse: the mart the row comes
    from (joined on `source_key`, a column of both) and its columns."""

    noun: str  # what one record is called in a reason: "invoice"
    party_noun: str  # whose history: "customer"
    mart: str
    source_key: str
    party: str
    amount: str
    currency: str
    on: str  # the record's date
    reference: str
    m3_customer: str | None = None  # the M3 customer number, for its currency
    where: str = "true"
    join: str = ""  # where a column comes from another model


# The syncs that post money, by name. A sync with `hold:` must be here. Each reads the
# intermediate model its plan reads: a run that builds the path to the pushes builds it (the
# marts are built apart, and may not be yet). Columns are SQL on it (`records`).
CUSTOMER_KEY = "records.account_id || '|' || records.client_id"  # as the marts' customer_key
KINDS = {
    "infor_customer_orders": Kind(
        "invoice", "customer", "intermediate.int_invoices_linked", "invoice_key", CUSTOMER_KEY,
        "records.amount", "records.currency_code", "records.issued_on", "records.invoice_number",
        "customer_number", "not records.is_deleted",
    ),
    "infor_cash_receipts": Kind(
        "payment", "customer", "intermediate.int_payments_mapped", "payment_key", CUSTOMER_KEY,
        "records.amount", "records.currency_code", "records.paid_on", "invoices.invoice_number",
        None, "not records.is_deleted",
        "left join intermediate.int_invoices_linked as invoices "
        "on invoices.account_id = records.account_id and invoices.invoice_id = records.invoice_id",
    ),
    "infor_gl_journals": Kind(
        "expense", "category", "intermediate.int_expenses_mapped", "expense_key",
        "records.category_name", "records.amount", "records.currency_code",
        "records.incurred_on", "records.gl_account", None, "not records.is_deleted",
    ),
}  # fmt: skip

# The columns `score` reads: `history` has every record of the kind (the batch's own among
# them, which are left out of their own history), `batch` the rows to score.
HISTORY_SCHEMA = pa.schema(
    [
        ("source_key", pa.string()),
        ("party", pa.string()),
        ("amount", pa.decimal128(18, 2)),
        ("currency", pa.string()),
        ("on_date", pa.date32()),
        ("reference", pa.string()),
    ]
)
BATCH_SCHEMA = pa.schema([("key", pa.string()), *HISTORY_SCHEMA, ("m3_currency", pa.string())])


@dataclass(frozen=True)
class Finding:
    """Why one row is held: sentences for people, and the figures behind them."""

    reasons: tuple[str, ...]
    scores: dict[str, Any] = field(default_factory=dict)

    def scores_json(self) -> str:
        return json.dumps(self.scores, default=str, sort_keys=True)


def kind_of(sync: SyncDefinition) -> Kind:
    kind = KINDS.get(sync.name)
    if kind is None:
        raise LedgerlinkError(
            f"reverse_etl/syncs.yml: sync {sync.name} has `hold:` but the gate knows no history "
            f"for it; remove `hold:` or gate one of {', '.join(KINDS)}"
        )
    return kind


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _times(ratio: float) -> str:
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:,.1f}x"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


AMOUNT_SQL = """
with
others as (  -- each row's customer's other records: leave-one-out, so a row cannot hide itself
    select b.key, h.amount, ln(cast(h.amount as double)) as log_amount
    from batch b
    join learned h on h.party = b.party and h.source_key is distinct from b.source_key
    where h.amount > 0
),
own as (
    select key, count(*) as n, median(log_amount) as centre,
        quantile_disc(amount, 0.5) as median_amount
    from others group by key
),
own_spread as (
    select others.key, median(abs(others.log_amount - own.centre)) as mad
    from others join own using (key) group by others.key
),
population as (
    select count(*) as n, median(ln(cast(amount as double))) as centre,
        quantile_disc(amount, 0.5) as median_amount
    from learned where amount > 0
),
population_spread as (
    select median(abs(ln(cast(h.amount as double)) - p.centre)) as mad
    from learned h, population p where h.amount > 0
),
party_centres as (
    select party, median(ln(cast(amount as double))) as centre
    from learned where amount > 0 group by party having count(*) >= $min_history
),
pooled_spread as (  -- how much one customer's amounts usually vary: the median customer's MAD
    select median(mad) as mad from (
        select median(abs(ln(cast(h.amount as double)) - p.centre)) as mad
        from learned h join party_centres p using (party)
        where h.amount > 0 group by p.party
    )
),
based as (
    -- the customer's own median and spread; with a short history their own median and the
    -- spread customers usually have; with none, the whole population's
    select
        b.key, b.amount,
        coalesce(own.n, 0) as own_n,
        population.n as population_n,
        coalesce(own.centre, population.centre) as centre,
        case
            when own_n >= $min_history then own_spread.mad
            when own_n > 0 then coalesce(pooled_spread.mad, population_spread.mad)
            else population_spread.mad
        end as mad,
        coalesce(own.median_amount, population.median_amount) as median_amount
    from batch b
    left join own using (key)
    left join own_spread using (key)
    cross join population
    cross join population_spread
    cross join pooled_spread
    where b.amount > 0 and population.n > 0
),
scored as (
    select
        based.*,
        (ln(cast(amount as double)) - centre) / greatest($sigma * coalesce(mad, 0), $floor) as z,
        cast(amount as double) / cast(median_amount as double) as ratio
    from based
    where median_amount > 0
)
select key, amount, median_amount, own_n, population_n, z, ratio
from scored
where z >= $amount_z and ratio >= $amount_ratio
"""

DUPLICATE_SQL = """
select
    b.key,
    arg_min(h.reference, h.on_date) as twin_reference,
    min(h.on_date) as twin_on,
    bool_or(later.key is null) as twin_already_there
from batch b
join history h
    on h.party = b.party
    and h.amount = b.amount
    and h.source_key is distinct from b.source_key
    and abs(date_diff('day', h.on_date, b.on_date)) <= $days
left join batch later on later.source_key = h.source_key
where
    -- already in the warehouse, or earlier in this batch: the first of two twins goes through
    (later.key is null or (h.on_date, h.source_key) < (b.on_date, b.source_key))
    and (
        lower(coalesce(h.reference, '')) = lower(coalesce(b.reference, ''))
        or jaro_winkler_similarity(
            lower(coalesce(h.reference, '')), lower(coalesce(b.reference, ''))
        ) >= $similarity
    )
group by b.key
"""

CURRENCY_SQL = """
with
others as (
    select b.key, h.currency, count(*) as n
    from batch b
    join learned h on h.party = b.party and h.source_key is distinct from b.source_key
    where h.currency is not null
    group by b.key, h.currency
),
usual as (
    select key, arg_max(currency, n) as usual_currency, max(n) as usual_n, sum(n) as total_n
    from others group by key
)
select b.key, b.currency, usual.usual_currency, usual.usual_n, usual.total_n, b.m3_currency
from batch b
left join usual using (key)
where b.currency is not null and (
    (usual.usual_currency <> b.currency and usual.usual_n >= $share * usual.total_n)
    or (b.m3_currency is not null and b.m3_currency <> b.currency)
)
"""


def score(
    batch: pa.Table,
    history: pa.Table,
    rules: HoldRules,
    noun: str = "record",
    party: str = "customer",
    *,
    learn_from_batch: bool = True,
) -> dict[str, Finding]:
    """Row key -> why it is held, for the rows of `batch` that `rules` hold (the others are
    absent). `history`: every record of the kind, the batch's own included (each row is left
    out of its own history by its `source_key`). Amounts and currencies are learned from the
    history, the batch's other rows included unless `learn_from_batch` is off (a first load has
    no history but its batch); duplicates are looked for among all of it."""
    con = duckdb.connect()
    try:
        con.register("batch", batch.select(BATCH_SCHEMA.names).cast(BATCH_SCHEMA))
        con.register("history", history.select(HISTORY_SCHEMA.names).cast(HISTORY_SCHEMA))
        con.execute(
            "create temp view learned as select * from history"
            + ("" if learn_from_batch else " anti join batch using (source_key)")
        )
        reasons: dict[str, list[str]] = {}
        scores: dict[str, dict[str, Any]] = {}
        if rules.amount_z is not None:
            rows = con.execute(
                AMOUNT_SQL,
                {
                    "min_history": rules.min_history,
                    "sigma": MAD_TO_SIGMA,
                    "floor": MIN_LOG_SCALE,
                    "amount_z": rules.amount_z,
                    "amount_ratio": rules.amount_ratio,
                },
            ).fetchall()
            for key, amount, median, own_n, population_n, z, ratio in rows:
                if own_n:
                    basis = f"this {party}'s median {noun} of {_money(median)} over " + _plural(
                        own_n, noun
                    )
                else:
                    basis = (
                        f"the median {noun} of {_money(median)} over all "
                        f"{_plural(population_n, noun)} (this {party} has none before)"
                    )
                reasons.setdefault(key, []).append(
                    f"amount {_money(amount)} is {_times(ratio)} {basis}"
                )
                scores.setdefault(key, {}).update(
                    amount=amount, median=median, ratio=round(ratio, 2), z=round(z, 2),
                    history=own_n or population_n,
                )  # fmt: skip
        if rules.duplicates:
            rows = con.execute(
                DUPLICATE_SQL, {"days": rules.duplicate_days, "similarity": REFERENCE_SIMILARITY}
            ).fetchall()
            for key, twin_reference, twin_on, already in rows:
                where = "already in the books" if already else "earlier in this batch"
                reasons.setdefault(key, []).append(
                    f"possible duplicate of {noun} {twin_reference or '(no reference)'} of "
                    f"{_day(twin_on)} ({where}): same {party}, same amount, within "
                    f"{_plural(rules.duplicate_days, 'day')}"
                )
                scores.setdefault(key, {}).update(duplicate_of=twin_reference)
        if rules.currency:
            rows = con.execute(CURRENCY_SQL, {"share": USUAL_CURRENCY_SHARE}).fetchall()
            for key, currency, usual, usual_n, total_n, m3_currency in rows:
                if m3_currency is not None and m3_currency != currency:
                    reasons.setdefault(key, []).append(
                        f"currency {currency} is not the M3 customer's currency {m3_currency}"
                    )
                if (
                    usual is not None
                    and usual != currency
                    and usual_n >= USUAL_CURRENCY_SHARE * total_n
                ):
                    reasons.setdefault(key, []).append(
                        f"currency {currency} differs from this {party}'s usual {usual} "
                        f"({usual_n} of {_plural(total_n, noun)})"
                    )
                scores.setdefault(key, {}).update(currency=currency, usual_currency=usual)
    finally:
        con.close()
    return {key: Finding(tuple(texts), scores.get(key, {})) for key, texts in reasons.items()}


def _day(value: date | None) -> str:
    return value.isoformat() if value else "an unknown date"


def history_table(con: duckdb.DuckDBPyConnection, kind: Kind) -> pa.Table:
    """Every record of `kind` in the warehouse, as `score` reads its history (and the M3
    customer's currency per record, for the batch)."""
    m3 = (
        f"(select currency_code from staging.stg_infor__customers c "
        f"where c.customer_number = records.{kind.m3_customer} limit 1)"
        if kind.m3_customer
        else "null"
    )
    # A cursor of its own: the push's connection may hold a result another step reads.
    cursor = con.cursor()
    try:
        return cursor.sql(
            f"select cast({kind.source_key} as varchar) as source_key, "
            f"cast({kind.party} as varchar) as party, "
            f"cast({kind.amount} as decimal(18, 2)) as amount, "
            f"cast({kind.currency} as varchar) as currency, "
            f"cast({kind.on} as date) as on_date, "
            f"cast({kind.reference} as varchar) as reference, "
            f"cast({m3} as varchar) as m3_currency "
            f"from {kind.mart} as records {kind.join} where {kind.where}"
        ).to_arrow_table()
    except duckdb.CatalogException as exc:
        raise LedgerlinkError(
            f"the pre-posting gate reads {kind.mart}, which is not built: run "
            "`ledgerlink transform` first"
        ) from exc
    finally:
        cursor.close()


def screen(
    con: duckdb.DuckDBPyConnection, sync: SyncDefinition, rows: Sequence[tuple[str, dict[str, Any]]]
) -> dict[str, Finding]:
    """Key -> why it is held, for the rows (key, sync model row) that the sync's `hold:` rules
    hold; {} when the sync is not gated or nothing is unusual."""
    if sync.hold is None or not rows:
        return {}
    kind = kind_of(sync)
    history = history_table(con, kind)
    features = {
        source_key: row
        for source_key, row in zip(
            history.column("source_key").to_pylist(), history.to_pylist(), strict=True
        )
    }
    batch_rows = []
    for key, row in rows:
        feature = features.get(str(row.get(kind.source_key)))
        if feature is not None:  # a row the mart does not know has no history to judge it by
            batch_rows.append({"key": key, **feature})
    if not batch_rows:
        return {}
    batch = pa.Table.from_pylist(batch_rows, schema=BATCH_SCHEMA)
    return score(
        batch, history.drop_columns(["m3_currency"]), sync.hold, kind.noun, kind.party_noun
    )


def gated(syncs: Iterable[SyncDefinition]) -> list[str]:
    """The names of the syncs the gate scores."""
    return [sync.name for sync in syncs if sync.hold is not None]
