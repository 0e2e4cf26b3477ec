"""Suggested rows for the mapping tables, for values that block a sync today, and their acceptance.

A value blocks a sync when a plan rejects its records for want of a mapping (`sync.sync_rejects`,
e.g. `unmapped_expense_category`). For each, every possible target (an open profit-and-loss
account of the Infor chart, for an expense category) is scored from three kinds of evidence,
all read from the warehouse and the mapping files on this machine (nothing is sent anywhere):

- history: where the same vendors' other expenses were posted, and which accounts Infor
  vouchers with a similar text were posted to;
- the target's own description (the chart of accounts): half character-trigram TF-IDF cosine,
  half `difflib`'s block ratio (see `TextIndex.similarity`);
- the rows already mapped: a similar category name already mapped to an account.

A gateway or payment type with no Infor payment method (`unmapped_payment_method`) is scored
on the names already mapped alone: M3's method codes carry no text to compare with.

An invoice line item Infor does not know (`unknown_item`) gets an `item_crosswalk` row from its
FreshBooks SKU to an active item of Infor's item master (MMS200MI, `marts.dim_items`), scored on
the item's SKU, name and line descriptions against each item's number, name (ITDS) and
description (FUDS); history is the items that lines with the same name or description were
posted as before; the rows already mapped are the FreshBooks items of the crosswalk's SKUs.
A client type with no customer group is not suggested: a client reaches its group through the
rules of `client_type_rules`, which a person writes.

History counts in proportion to how much of it there is and how consistently it points one way,
so a vendor seen once does not outweigh a clear name; when history is ample and consistent it
outweighs the name. Ties break on the target's number, so the output is deterministic.

Accepting writes through `mapping_edits.save_table` (origin `suggested`) and only adds rows for
keys the table does not have: a row a person or rule set is never changed. Each acceptance is
recorded in `<home>/mapping_suggestions.jsonl` (see `record_acceptance` for why a file and not
`ops`); each rejection in `<home>/mapping_rejections.jsonl`, and a rejected suggestion is not
shown again until its evidence changes. Nothing is accepted without a person unless
`LEDGERLINK_MAPPING_AUTO_ACCEPT_CONFIDENCE` is set, and then only from that confidence on.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ledgerlink.auth.files import open_private
from ledgerlink.errors import LedgerlinkError
from ledgerlink.settings import Settings
from reverse_etl import mapping_edits

EXPENSE_CATEGORY = "expense_category"
PAYMENT_METHOD = "payment_method"
ITEM = "item"
KINDS = {
    EXPENSE_CATEGORY: "expense_category_gl_accounts.csv",
    PAYMENT_METHOD: "payment_methods.csv",
    ITEM: "item_crosswalk.csv",
}
ACCEPTED_LOG = "mapping_suggestions.jsonl"
REJECTED_LOG = "mapping_rejections.jsonl"
# a mapped item counts for its Infor item only when its text is this close (see Evidence)
ITEM_TWIN = 0.9
# how many records wait: a count, not evidence about the mapping (it does not revive a rejection)
WAITING = re.compile(r"^\d+ \S+ waits? ")

# How much history weighs against names: its share of the score grows with the number of past
# postings, up to HISTORY_WEIGHT once HISTORY_FULL_SUPPORT postings all point to one account.
HISTORY_WEIGHT = 0.6
HISTORY_FULL_SUPPORT = 10
SHOWN_ALTERNATIVES = 3
# A mapped name counts as "similar" (in the evidence, and for the offset) from this score on.
NAME_SIMILARITY = 0.5
# A voucher text counts as history for a category only when it names much the same thing.
VOUCHER_TEXT_SIMILARITY = 0.6


# --- text similarity -----------------------------------------------------------------------------
def normalise(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("/", " ")
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text).split())


def ngrams(text: str, n: int = 3) -> Counter[str]:
    """Character n-grams of each word padded with spaces, so word starts and ends count."""
    grams: Counter[str] = Counter()
    for word in normalise(text).split():
        padded = f" {word} "
        grams.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return grams


class TextIndex:
    """TF-IDF vectors of character trigrams over a fixed set of texts, and cosine against them."""

    def __init__(self, texts: Iterable[str]) -> None:
        grams = [ngrams(t) for t in dict.fromkeys(texts)]
        documents = Counter(g for doc in grams for g in doc)
        total = len(grams) or 1
        self.idf = {g: math.log((1 + total) / (1 + n)) + 1 for g, n in documents.items()}

    def vector(self, text: str) -> dict[str, float]:
        weights = {
            g: c * self.idf.get(g, math.log(1 + len(self.idf)) + 1) for g, c in ngrams(text).items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {g: w / norm for g, w in weights.items()}

    def similarity(self, a: str, b: str) -> float:
        """Half the trigram cosine (shared rare pieces: "fees" in "Bank fees"), half the
        longest-common-blocks ratio (robust to a transposed letter in a short word)."""
        va, vb = self.vector(a), self.vector(b)
        cosine = sum(w * vb.get(g, 0.0) for g, w in va.items())
        ratio = difflib.SequenceMatcher(None, normalise(a), normalise(b), autojunk=False).ratio()
        return 0.5 * cosine + 0.5 * ratio


# --- scoring -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    code: str
    description: str


@dataclass
class Evidence:
    """What is known about one value: past postings by target (and in words), mapped names."""

    history: Counter[str] = field(default_factory=Counter)  # target code -> postings
    history_notes: dict[str, str] = field(default_factory=dict)  # target code -> in words
    mapped: dict[str, str] = field(default_factory=dict)  # mapped name -> target code
    # a mapped name counts from this similarity on: for items, a near twin already mapped is
    # most often another model of the same product, not the same item under another SKU
    mapped_from: float = 0.0


@dataclass(frozen=True)
class Scored:
    code: str
    score: float
    reasons: tuple[str, ...]


def rank(value: str, targets: list[Target], evidence: Evidence, index: TextIndex) -> list[Scored]:
    """Every target scored for `value`, best first (ties on the target's code)."""
    support = sum(evidence.history[t.code] for t in targets)
    # history spread over many accounts says little: it weighs by how much of it points one way
    leading = max((evidence.history[t.code] for t in targets), default=0) / (support or 1)
    weight = HISTORY_WEIGHT * min(1.0, support / HISTORY_FULL_SUPPORT) * leading
    scored = []
    for target in targets:
        reasons = []
        by_name = index.similarity(value, target.description)
        if by_name >= 0.05:
            reasons.append(f"the name resembles {target.description!r} ({by_name:.0%} similar)")
        for name, code in sorted(evidence.mapped.items()):
            if code != target.code:
                continue
            similar = index.similarity(value, name)
            if similar < evidence.mapped_from:
                continue
            if similar > by_name:
                by_name = similar
            if similar >= NAME_SIMILARITY:
                reasons.append(f"the similar name {name!r} is mapped to it ({similar:.0%})")
        share = evidence.history[target.code] / support if support else 0.0
        if share:
            reasons.insert(
                0, evidence.history_notes.get(target.code, f"posted to {target.code} before")
            )
        score = weight * share + (1 - weight) * by_name
        scored.append(Scored(target.code, round(score, 4), tuple(reasons)))
    return sorted(scored, key=lambda s: (-s.score, s.code))


def confidence(ranked: list[Scored]) -> float:
    """The top score, lowered when the runner-up is close (a coin toss is not confident)."""
    if not ranked or ranked[0].score <= 0:
        return 0.0
    top = ranked[0].score
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    margin = (top - runner_up) / top
    # a good partial match scores near 0.25-0.5: the square root spreads scores over the scale
    # a reader expects, where 1.0 is an exact name and a clear winner
    return round(min(1.0, math.sqrt(top) * (0.5 + 0.5 * margin)), 2)


# --- suggestions from the warehouse --------------------------------------------------------------
@dataclass
class Suggestion:
    id: str
    kind: str
    file: str
    value: str
    row: dict[str, str]
    confidence: float
    evidence: list[str]
    alternatives: list[dict[str, object]]
    blocked_records: int


def suggestion_id(kind: str, value: str, row: dict[str, str]) -> str:
    text = json.dumps([kind, value, row], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return set(con.execute("select schema_name, table_name from duckdb_tables()").fetchall())


def _need(tables: set[tuple[str, str]], *names: tuple[str, str]) -> None:
    missing = [f"{s}.{t}" for s, t in names if (s, t) not in tables]
    if missing:
        raise LedgerlinkError(
            f"the warehouse has no {', '.join(missing)} yet: run `ledgerlink sync` (or "
            "`ledgerlink extract` then `ledgerlink transform`) first"
        )


def blocked_expense_categories(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Expense categories with no GL account mapping, and how many records each holds back."""
    rows = con.execute(
        "select regexp_extract(reason, 'expense category \"(.*)\" has no', 1) as category, "
        "count(*) from sync.sync_rejects where reason_code = 'unmapped_expense_category' "
        "group by category order by category"
    ).fetchall()
    return {category: count for category, count in rows if category}


def expense_category_suggestions(
    con: duckdb.DuckDBPyConnection, columns: list[str], rows: list[dict[str, str]]
) -> list[Suggestion]:
    file_name = KINDS[EXPENSE_CATEGORY]
    tables = _tables(con)
    _need(
        tables,
        ("sync", "sync_rejects"),
        ("marts", "dim_gl_accounts"),
        ("intermediate", "int_expenses_mapped"),
    )
    blocked = blocked_expense_categories(con)
    mapped = {
        r["expense_category"].strip(): r["gl_account"].strip()
        for r in rows
        if r.get("expense_category", "").strip() and r.get("gl_account", "").strip()
    }
    blocked = {v: n for v, n in blocked.items() if v.lower() not in {m.lower() for m in mapped}}
    chart = con.execute(
        "select account_number, coalesce(account_name, account_short_name, account_number), "
        "account_group from marts.dim_gl_accounts "
        "where not is_blocked and is_profit_and_loss_account "
        "order by account_number"
    ).fetchall()
    # The groups the mapped categories post to (expenses, not revenue), when they say any.
    used_groups = {g for code, _, g in chart if code in set(mapped.values())}
    targets = [
        Target(code, name) for code, name, group in chart if group in used_groups or not used_groups
    ]
    history = expense_history(con, blocked)
    index = TextIndex([t.description for t in targets] + list(mapped) + list(blocked))
    voucher_history(con, tables, history, index)
    offsets = [r.get("offset_account", "").strip() for r in rows if r.get("offset_account")]
    found = []
    for value, count in blocked.items():
        past = Evidence(*history.get(value, (Counter(), {})), mapped)
        ranked = rank(value, targets, past, index)
        if not ranked or ranked[0].score <= 0:
            continue
        best = ranked[0]
        offset, offset_reason = _offset_for(value, best.code, rows, offsets, index)
        row = {c: "" for c in columns} | {
            "expense_category": value,
            "gl_account": best.code,
            "offset_account": offset,
        }
        description = next(t.description for t in targets if t.code == best.code)
        evidence = [
            f"{count} expense{'s wait' if count != 1 else ' waits'} in {value!r} for a GL account",
            *best.reasons,
            offset_reason,
            # history that points elsewhere, so the reviewer weighs it too
            *(
                f"against: {past.history_notes[code]}"
                for code in sorted(past.history)
                if code != best.code and code in past.history_notes
            ),
        ]
        alternatives = [
            {
                "target": s.code,
                "description": next(t.description for t in targets if t.code == s.code),
                "score": s.score,
            }
            for s in ranked[1 : 1 + SHOWN_ALTERNATIVES]
        ]
        found.append(
            Suggestion(
                id=suggestion_id(EXPENSE_CATEGORY, value, row),
                kind=EXPENSE_CATEGORY,
                file=file_name,
                value=value,
                row=row,
                confidence=confidence(ranked),
                evidence=[f"proposed: {best.code} {description}", *evidence],
                alternatives=alternatives,
                blocked_records=count,
            )
        )
    return found


def expense_history(
    con: duckdb.DuckDBPyConnection, values: Iterable[str]
) -> dict[str, tuple[Counter[str], dict[str, str]]]:
    """Per blocked category: the accounts its vendors' mapped expenses were posted to."""
    found: dict[str, tuple[Counter[str], dict[str, str]]] = {}
    for value in values:
        rows = con.execute(
            "select gl_account, vendor, count(*) from intermediate.int_expenses_mapped "
            "where is_mapped and vendor in (select vendor from intermediate.int_expenses_mapped "
            "where category_name = ? and not is_mapped) "
            "group by all order by 1, 2",
            [value],
        ).fetchall()
        counts: Counter[str] = Counter()
        vendors: dict[str, list[str]] = {}
        for account, vendor, n in rows:
            counts[account] += n
            vendors.setdefault(account, []).append(f"{vendor} ({n})")
        notes = {
            account: f"the same vendor's expenses were posted to {account} {counts[account]} time"
            f"{'s' if counts[account] != 1 else ''} before: {', '.join(vendors[account])}"
            for account in counts
        }
        found[value] = (counts, notes)
    return found


def voucher_history(
    con: duckdb.DuckDBPyConnection,
    tables: set[tuple[str, str]],
    history: dict[str, tuple[Counter[str], dict[str, str]]],
    index: TextIndex,
) -> None:
    """Add to each category's history the debits of Infor vouchers whose text resembles it
    (what the finance team keyed by hand says where such costs go)."""
    if ("marts", "fct_gl_journal_lines") not in tables:
        return
    texts = con.execute(
        "select voucher_text, account_number, count(*) from marts.fct_gl_journal_lines "
        "where debit_amount > 0 and voucher_text is not null group by all order by 1, 2"
    ).fetchall()
    for value, (counts, notes) in history.items():
        for text, account, n in texts:
            if index.similarity(value, text) < VOUCHER_TEXT_SIMILARITY:
                continue
            counts[account] += n
            said = notes.get(account, "")
            notes[account] = (f"{said}; " if said else "") + (
                f"{n} Infor voucher line{'s' if n != 1 else ''} {text!r} debited {account}"
            )


def _offset_for(
    value: str,
    account: str,
    rows: list[dict[str, str]],
    offsets: list[str],
    index: TextIndex,
) -> tuple[str, str]:
    """The credit side: as the rows posting to the same account, else as the most similar
    mapped category, else the most used offset."""
    same = Counter(r["offset_account"] for r in rows if r.get("gl_account") == account)
    if same:
        offset = min(same, key=lambda o: (-same[o], o))
        return offset, f"offset {offset}: as the other categories posted to {account}"
    named = [r for r in rows if r.get("expense_category") and r.get("offset_account")]
    if named:
        nearest = max(
            named,
            key=lambda r: (index.similarity(value, r["expense_category"]), r["expense_category"]),
        )
        if index.similarity(value, nearest["expense_category"]) >= NAME_SIMILARITY:
            return (
                nearest["offset_account"],
                f"offset {nearest['offset_account']}: as the similar category "
                f"{nearest['expense_category']!r}",
            )
    if offsets:
        counted = Counter(offsets)
        offset = min(counted, key=lambda o: (-counted[o], o))
        return offset, f"offset {offset}: the offset most categories use"
    return "", "no offset account known: fill it in before accepting"


def file_for(kind: str) -> str:
    """The mapping file a kind of suggestion adds rows to."""
    if kind not in KINDS:
        raise LedgerlinkError(
            f"no suggestions for {kind!r} yet: use --kind {' or '.join(KINDS)}, or edit the "
            "mapping by hand (`ledgerlink console`, Mappings)"
        )
    return KINDS[kind]


def suggest(
    settings: Settings, con: duckdb.DuckDBPyConnection, kind: str = EXPENSE_CATEGORY
) -> list[Suggestion]:
    """Suggestions for every value of `kind` blocking a sync, from the readers' snapshot."""
    columns, rows = mapping_edits.read_table(settings, file_for(kind))
    if kind == PAYMENT_METHOD:
        found = payment_method_suggestions(con, columns, rows)
    elif kind == ITEM:
        found = item_suggestions(con, columns, rows)
    else:
        found = expense_category_suggestions(con, columns, rows)
    rejected = rejected_fingerprints(settings)
    return [s for s in found if fingerprint(s) not in rejected]


def suggest_all(
    settings: Settings, con: duckdb.DuckDBPyConnection
) -> dict[str, list[Suggestion] | str]:
    """Per kind, its suggestions, or why there are none (the warehouse lacks what it reads)."""
    found: dict[str, list[Suggestion] | str] = {}
    for kind in KINDS:
        try:
            found[kind] = suggest(settings, con, kind)
        except LedgerlinkError as exc:
            found[kind] = str(exc)
    return found


def blocked_payment_values(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    """(payment source, value) with no Infor payment method, and the records each holds back:
    the gateway when the payment has one (it is looked up first), else the payment type."""
    rows = con.execute(
        "select regexp_extract(reason, 'payment type \"(.*)\" / gateway', 1), "
        "regexp_extract(reason, 'gateway \"(.*)\" has no', 1), count(*) "
        "from sync.sync_rejects where reason_code = 'unmapped_payment_method' "
        "group by all order by 1, 2"
    ).fetchall()
    found: Counter[tuple[str, str]] = Counter()
    for payment_type, gateway, n in rows:
        if gateway:
            found["gateway", gateway.lower()] += n
        elif payment_type:
            found["type", payment_type] += n
    return dict(sorted(found.items()))


def payment_method_suggestions(
    con: duckdb.DuckDBPyConnection, columns: list[str], rows: list[dict[str, str]]
) -> list[Suggestion]:
    """A payment method and cash account for each unmapped gateway or payment type, from the
    names already mapped (the table is its own reference: M3's method codes carry no text)."""
    file_name = KINDS[PAYMENT_METHOD]
    _need(_tables(con), ("sync", "sync_rejects"))
    taken = {(r["payment_source"].strip(), r["source_value"].strip().lower()) for r in rows}
    blocked = {
        k: n for k, n in blocked_payment_values(con).items() if (k[0], k[1].lower()) not in taken
    }
    mapped = {
        r["source_value"].strip(): r["payment_method"].strip()
        for r in rows
        if r.get("payment_method")
    }
    methods = sorted(set(mapped.values()))
    targets = [Target(m, m) for m in methods]
    index = TextIndex([*mapped, *(v for _, v in blocked)])
    found = []
    for (source, value), count in blocked.items():
        ranked = rank(value, targets, Evidence(mapped=mapped), index)
        if not ranked or ranked[0].score <= 0:
            continue
        best = ranked[0]
        cash = Counter(r["cash_account"] for r in rows if r.get("payment_method") == best.code)
        account = min(cash, key=lambda a: (-cash[a], a)) if cash else ""
        row = {c: "" for c in columns} | {
            "payment_source": source,
            "source_value": value,
            "payment_method": best.code,
            "cash_account": account,
        }
        found.append(
            Suggestion(
                id=suggestion_id(PAYMENT_METHOD, value, row),
                kind=PAYMENT_METHOD,
                file=file_name,
                value=value,
                row=row,
                confidence=confidence(ranked),
                evidence=[
                    f"proposed: payment method {best.code}, cash account {account}",
                    f"{count} payment{'s wait' if count != 1 else ' waits'} with {source} "
                    f"{value!r} for an Infor payment method",
                    *best.reasons,
                    f"cash account {account}: as the other values mapped to {best.code}",
                ],
                alternatives=[
                    {"target": s.code, "description": s.code, "score": s.score}
                    for s in ranked[1 : 1 + SHOWN_ALTERNATIVES]
                ],
                blocked_records=count,
            )
        )
    return found


def blocked_items(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Invoice line item names Infor does not know, and how many orders each holds back."""
    rows = con.execute(
        "select regexp_extract(reason, 'line item \"(.*)\" not known in Infor', 1) as item, "
        "count(*) from sync.sync_rejects where reason_code = 'unknown_item' "
        "group by item order by item"
    ).fetchall()
    return {item: count for item, count in rows if item}


def item_text(*parts: str | None) -> str:
    """What an item is called, in one text: number or SKU, name, descriptions (each once)."""
    return " ".join(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def item_suggestions(
    con: duckdb.DuckDBPyConnection, columns: list[str], rows: list[dict[str, str]]
) -> list[Suggestion]:
    """An Infor item for each FreshBooks item Infor does not know, keyed by its SKU."""
    file_name = KINDS[ITEM]
    _need(
        _tables(con),
        ("sync", "sync_rejects"),
        ("marts", "dim_items"),
        ("intermediate", "int_invoice_lines_mapped"),
    )
    taken = {r.get("freshbooks_sku", "").strip().lower() for r in rows}
    master = con.execute(
        "select item_number, coalesce(item_name, item_number), coalesce(item_description, '') "
        "from marts.dim_items where is_in_infor and not is_blocked order by item_number"
    ).fetchall()
    targets = [Target(n, item_text(n, name, text)) for n, name, text in master]
    names = {n: item_text(name, text) for n, name, text in master}
    lines = con.execute(
        "select item_name, sku, description, m3_item_number, is_known_in_infor, count(*) "
        "from intermediate.int_invoice_lines_mapped where item_name is not null "
        "group by all order by all"
    ).fetchall()
    # the crosswalk's rows, as the FreshBooks items they map (their SKU, name and descriptions)
    mapped_skus = {
        r["freshbooks_sku"].strip().lower(): r["m3_item_number"].strip()
        for r in rows
        if r.get("freshbooks_sku", "").strip() and r.get("m3_item_number", "").strip()
    }
    mapped: dict[str, str] = {}
    for name, sku, text, _, _, _ in lines:
        if sku and sku.lower() in mapped_skus:
            mapped[item_text(sku, name, text)] = mapped_skus[sku.lower()]
    blocked = blocked_items(con)
    asked = {}
    for value in blocked:
        own = [line for line in lines if line[0] == value and not line[4]]
        sku = next((line[1] for line in own if line[1]), "")
        texts = Counter({line[2]: line[5] for line in own if line[2]})
        asked[value] = (sku, [t for t, _ in texts.most_common(2)])
    index = TextIndex(
        [t.description for t in targets]
        + list(mapped)
        + [item_text(sku, v, *texts) for v, (sku, texts) in asked.items()]
    )
    found = []
    for value, count in blocked.items():
        sku, texts = asked[value]
        if sku.lower() in taken and sku:
            continue  # the crosswalk has a row for it: a person's, never replaced here
        past = Evidence(mapped=mapped, mapped_from=ITEM_TWIN)
        for name, _, text, number, known, n in lines:
            if known and number and (name == value or (text and text in texts)):
                past.history[number] += n
                said = f"{n} invoice line{'s' if n != 1 else ''} {name!r}"
                if name != value:
                    said += f" ({text!r})"
                note = past.history_notes.get(number, "")
                past.history_notes[number] = (
                    f"{note}, {said}" if note else f"posted as Infor item {number} before: {said}"
                )
        ranked = rank(item_text(sku, value, *texts), targets, past, index)
        if not ranked or ranked[0].score <= 0:
            continue
        best = ranked[0]
        row = {c: "" for c in columns} | {"freshbooks_sku": sku, "m3_item_number": best.code}
        evidence = [
            f"proposed: {best.code} {names[best.code]}",
            f"{count} order{'s wait' if count != 1 else ' waits'} for the item {value!r}, "
            f"which Infor does not know",
            *(
                [f"its FreshBooks SKU is {sku!r}"]
                if sku
                else [
                    "no active FreshBooks item of this name has a SKU (it may be deleted), "
                    "and the crosswalk is keyed by SKU: restore the item or give it a SKU in "
                    "FreshBooks, then sync"
                ]
            ),
            *(f"line description: {t!r}" for t in texts),
            *best.reasons,
            *(
                f"against: {past.history_notes[code]}"
                for code in sorted(past.history)
                if code != best.code and code in past.history_notes
            ),
        ]
        found.append(
            Suggestion(
                id=suggestion_id(ITEM, value, row),
                kind=ITEM,
                file=file_name,
                value=value,
                row=row,
                confidence=confidence(ranked),
                evidence=evidence,
                alternatives=[
                    {"target": s.code, "description": names[s.code], "score": s.score}
                    for s in ranked[1 : 1 + SHOWN_ALTERNATIVES]
                ],
                blocked_records=count,
            )
        )
    return found


def proposed_rows(
    settings: Settings, suggestions: list[Suggestion]
) -> dict[str, tuple[list[str], list[dict[str, str]], list[dict[str, str]]]]:
    """Per mapping file: its columns, rows now, and rows with the suggestions' added (only for
    keys the file does not have)."""
    tables: dict[str, tuple[list[str], list[dict[str, str]], list[dict[str, str]]]] = {}
    for s in suggestions:
        if s.file not in tables:
            columns, rows = mapping_edits.read_table(settings, s.file)
            tables[s.file] = (columns, rows, list(rows))
        columns, _, after = tables[s.file]
        keys = mapping_edits.TABLES[s.file].keys
        taken = {tuple((r.get(k) or "").strip().lower() for k in keys) for r in after}
        if tuple((s.row.get(k) or "").strip().lower() for k in keys) not in taken:
            after.append({c: s.row.get(c, "") for c in columns})
    return tables


def unified_diff(settings: Settings, suggestions: list[Suggestion]) -> str:
    out = []
    for file_name, (columns, before, after) in proposed_rows(settings, suggestions).items():
        path = str(mapping_edits.editable_file(settings, file_name))

        def lines(rows: list[dict[str, str]], columns: list[str] = columns) -> list[str]:
            return [",".join(columns) + "\n"] + [
                ",".join(_csv_cell(r.get(c) or "") for c in columns) + "\n" for r in rows
            ]

        out.extend(difflib.unified_diff(lines(before), lines(after), path, path))
    return "".join(out)


def _csv_cell(text: str) -> str:
    text = text.strip()
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n') else text


def accept(
    settings: Settings,
    suggestions: list[Suggestion],
    wanted: list[str],
    *,
    min_confidence: float,
    force: bool = False,
    actor: str = "",
) -> tuple[list[Suggestion], Path | None]:
    """Add the wanted suggestions' rows (by value or id) to their mapping file, record them,
    and return them with the file written."""
    chosen = []
    for want in wanted:
        match = [
            s for s in suggestions if want in (s.id, s.value) or want.lower() == s.value.lower()
        ]
        if not match:
            known = ", ".join(f"{s.value!r} ({s.id})" for s in suggestions) or "none"
            raise LedgerlinkError(
                f"no suggestion for {want!r}: suggestions now are {known}; "
                "run `ledgerlink mapping suggest` to see them"
            )
        chosen.extend(m for m in match if m not in chosen)
    weak = [s for s in chosen if s.confidence < min_confidence]
    if weak and not force:
        names = ", ".join(f"{s.value!r} ({s.confidence:.2f})" for s in weak)
        raise LedgerlinkError(
            f"confidence below {min_confidence:.2f} for {names}: review the evidence with "
            "`ledgerlink mapping suggest`, then accept with --force or edit the mapping by hand"
        )
    unfilled = [
        s for s in chosen if not all(s.row.get(c) for c in mapping_edits.TABLES[s.file].keys)
    ]
    if unfilled:
        raise LedgerlinkError(
            f"suggestion for {unfilled[0].value!r} has no "
            f"{' / '.join(mapping_edits.TABLES[unfilled[0].file].keys)}: see its evidence for "
            "what to do first, or edit the mapping by hand"
        )
    path = None
    for file_name, (columns, before, after) in proposed_rows(settings, chosen).items():
        added = len(after) - len(before)
        if not added:
            continue
        problems = mapping_edits.shape_problems(file_name, columns, after)
        if problems:
            raise LedgerlinkError(
                f"{file_name} would not be valid: {problems[0][2]}; fix it by hand"
            )
        path = mapping_edits.save_table(
            settings, file_name, columns, after, origin="suggested", actor=actor,
            note=", ".join(s.id for s in chosen if s.file == file_name),
        )  # fmt: skip
    if path is None:
        raise LedgerlinkError(
            "nothing to add: the mapping already has a row for each value (a row a person "
            "set is never replaced); rebuild with `ledgerlink transform`"
        )
    record_acceptance(settings, chosen, path, actor=actor, forced=bool(weak))
    return chosen, path


def record_acceptance(
    settings: Settings, chosen: list[Suggestion], path: Path, *, actor: str, forced: bool
) -> Path:
    """Append each accepted suggestion, with its evidence, to `<home>/mapping_suggestions.jsonl`.

    A file, not an `ops` table: `ops` holds what the push ledger writes under the warehouse's
    single writer lock, while accepting edits a mapping file (like the console's save) and must
    work while a sync runs; the record stays beside the home, append-only, one JSON per line.
    """
    log = settings.home / ACCEPTED_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with os.fdopen(open_private(log), "a", encoding="utf-8") as handle:  # owner-only, as the home
        for s in chosen:
            entry = {"accepted_at": now, "actor": actor, "written_to": str(path), "forced": forced}
            handle.write(json.dumps(entry | asdict(s), sort_keys=True) + "\n")
    return log


def fingerprint(suggestion: Suggestion) -> str:
    """What a rejection is of: the value, the row proposed and the evidence for it (not how
    many records wait), so new evidence shows the suggestion again."""
    basis = [e for e in suggestion.evidence if not WAITING.match(e)]
    text = json.dumps([suggestion.kind, suggestion.value, suggestion.row, basis], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reject(
    settings: Settings, suggestions: list[Suggestion], wanted: str, *, actor: str, reason: str = ""
) -> Suggestion:
    """Record that a person rejected a suggestion (by value or id): it is not shown again for
    that value until its evidence changes."""
    match = [
        s for s in suggestions if wanted in (s.id, s.value) or wanted.lower() == s.value.lower()
    ]
    if not match:
        raise LedgerlinkError(
            f"no suggestion for {wanted!r}: run `ledgerlink mapping suggest` to see them"
        )
    log = settings.home / REJECTED_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with os.fdopen(open_private(log), "a", encoding="utf-8") as handle:
        entry = {"rejected_at": now, "actor": actor, "reason": reason}
        entry |= {"fingerprint": fingerprint(match[0])} | asdict(match[0])
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
    return match[0]


def rejected_fingerprints(settings: Settings) -> set[str]:
    log = settings.home / REJECTED_LOG
    if not log.exists():
        return set()
    found = set()
    for number, line in enumerate(log.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            found.add(json.loads(line)["fingerprint"])
        except (ValueError, KeyError, TypeError) as exc:
            raise LedgerlinkError(
                f"{log} line {number} is not a rejection ({exc}): fix or delete that line"
            ) from exc
    return found


def auto_accept(
    settings: Settings, suggestions: list[Suggestion]
) -> tuple[list[Suggestion], Path | None]:
    """Accept, with no person, the suggestions at or above
    `LEDGERLINK_MAPPING_AUTO_ACCEPT_CONFIDENCE`; none when it is unset (the default)."""
    threshold = settings.mapping_auto_accept_confidence
    if threshold is None:
        return [], None
    sure = [s for s in suggestions if s.confidence >= threshold and all(s.row.values())]
    if not sure:
        return [], None
    return accept(settings, sure, [s.id for s in sure], min_confidence=threshold, actor="auto")
