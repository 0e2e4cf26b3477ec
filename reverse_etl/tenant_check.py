"""Before writing to Infor: does every code the settings and mapping tables name exist there?

Tenants are set up differently (customer templates, order types, warehouses, accounts, ...), and
a code M3 lacks fails every record that carries it. `check_tenant` reads the tenant's codes
(`TenantReference`) and names each configured or mapped value it lacks, with the setting or the
mapping row to change and the syncs that would write it, so a push can hold exactly those.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ledgerlink.connectors.infor.errors import M3Error
from ledgerlink.connectors.infor.reference import TenantReference
from ledgerlink.dbt import seeds_dir
from ledgerlink.settings import Settings

CUSTOMERS = "infor_customers"
ORDERS = "infor_customer_orders"
RECEIPTS = "infor_cash_receipts"
JOURNALS = "infor_gl_journals"
EVERY_INFOR_SYNC = (CUSTOMERS, ORDERS, RECEIPTS, JOURNALS)


@dataclass(frozen=True)
class Problem:
    """A configured or mapped value the tenant lacks: where it is set, and what it blocks."""

    where: str  # the setting, or the mapping file and row
    value: str
    kind: str  # what the value should be ("order type", "GL account", ...)
    known: tuple[str, ...]  # a few of the tenant's own codes of that kind, as a hint
    syncs: tuple[str, ...]

    def __str__(self) -> str:
        text = f"{self.where}: {self.kind} {self.value!r} does not exist in Infor"
        if self.known:
            more = ", ..." if len(self.known) > 6 else ""
            text += f" (it has {', '.join(self.known[:6])}{more})"
        return text


@dataclass(frozen=True)
class Check:
    """One kind of code: how the tenant answers whether it exists, and what names it."""

    kind: str
    exists: Callable[[TenantReference, str], bool]
    listed: Callable[[TenantReference], frozenset[str]] | None = None  # for the hint


def _in(codes: Callable[[TenantReference], frozenset[str]], kind: str) -> Check:
    return Check(kind, lambda ref, value: value in codes(ref), codes)


def _system(constant: str, kind: str) -> Check:
    return _in(lambda ref: ref.system_codes(constant), kind)


DIVISION = _in(lambda ref: ref.divisions, "division")
FACILITY = _in(lambda ref: ref.facilities, "facility")
WAREHOUSE = _in(lambda ref: ref.warehouses, "warehouse")
TEMPLATE = _in(lambda ref: ref.customer_templates, "customer template")
ORDER_TYPE = _in(lambda ref: ref.order_types, "order type")
GL_ACCOUNT = _in(lambda ref: ref.gl_accounts, "GL account")
CURRENCY = _system("CUCD", "currency")
CUSTOMER_GROUP = _system("CUCL", "customer group")
PAYMENT_TERMS = _system("TEPY", "payment terms")
PAYMENT_METHOD = _system("PYCD", "payment method")
VAT_CODE = _system("VTCD", "VAT code")
COUNTRY = _system("CSCD", "country")
BANK = Check("bank identifier", lambda ref, value: ref.has_bank(value))
ITEM = Check("item", lambda ref, value: ref.has_item(value))

# setting -> (its value, what it must be, the syncs that write it)
SETTINGS: dict[str, tuple[Callable[[Settings], str], Check, tuple[str, ...]]] = {
    "INFOR_DIVI": (lambda s: s.infor_divi, DIVISION, EVERY_INFOR_SYNC),
    "INFOR_FACILITY": (lambda s: s.infor_facility, FACILITY, (ORDERS,)),
    "INFOR_WAREHOUSE": (lambda s: s.infor_warehouse, WAREHOUSE, (ORDERS,)),
    "INFOR_LOCAL_CURRENCY": (lambda s: s.infor_local_currency, CURRENCY, (JOURNALS,)),
}
# mapping table -> column -> (what it must be, the syncs that write it)
MAPPINGS: dict[str, dict[str, tuple[Check, tuple[str, ...]]]] = {
    "currencies.csv": {
        "currency_code": (CURRENCY, (CUSTOMERS, RECEIPTS)),
        "customer_template": (TEMPLATE, (CUSTOMERS,)),
        "bank_identifier": (BANK, (RECEIPTS,)),
        "country_code": (COUNTRY, (CUSTOMERS,)),
    },
    "customer_groups.csv": {
        "customer_group": (CUSTOMER_GROUP, (CUSTOMERS,)),
        "order_type": (ORDER_TYPE, (CUSTOMERS,)),
        "payment_terms": (PAYMENT_TERMS, (CUSTOMERS,)),
    },
    "expense_category_gl_accounts.csv": {
        "gl_account": (GL_ACCOUNT, (JOURNALS,)),
        "offset_account": (GL_ACCOUNT, (JOURNALS,)),
    },
    "payment_methods.csv": {"payment_method": (PAYMENT_METHOD, (RECEIPTS,))},
    "tax_codes.csv": {"m3_vat_code": (VAT_CODE, (CUSTOMERS,))},
    "item_crosswalk.csv": {"m3_item_number": (ITEM, (ORDERS,))},
}
# Codes with no list or Get transaction on the MI catalogue: M3 refuses a wrong one on write.
UNCHECKED = {
    "INFOR_STATEMENT_TYPE": "ABS100MI statement type (BSTY): M3 has no transaction that lists them",
    "INFOR_GL_INTERFACE": "GLS850 interface (INTN): M3 has no transaction that lists them",
    "INFOR_PAYMENT_DIFFERENCE_CODE": (
        "ABS business transaction code (BLBC): M3 has no transaction that lists them"
    ),
}


@dataclass
class TenantReport:
    checked: int
    problems: list[Problem]
    unchecked: dict[str, str]

    def blocked_syncs(self) -> dict[str, list[Problem]]:
        """Each sync that would write a value Infor lacks, with those values."""
        blocked: dict[str, list[Problem]] = {}
        for problem in self.problems:
            for sync in problem.syncs:
                blocked.setdefault(sync, []).append(problem)
        return blocked


def check_tenant(settings: Settings, reference: TenantReference) -> TenantReport:
    """Every configured and mapped code, looked up among the tenant's (each value once); a
    value missing from Infor is one problem, naming every row that holds it."""
    answers: dict[tuple[str, str], bool] = {}
    unchecked = dict(UNCHECKED)
    missing: dict[tuple[str, str], tuple[Check, tuple[str, ...], list[str]]] = {}
    for place, line, value, check, syncs in _values(settings):
        if check.kind in unchecked:
            continue
        if (check.kind, value) not in answers:
            try:
                answers[(check.kind, value)] = check.exists(reference, value)
            except M3Error as error:  # the tenant does not offer the list: M3 checks on write
                unchecked[check.kind] = f"Infor answered {error}"
                continue
        if not answers[(check.kind, value)]:
            missing.setdefault((place, value), (check, syncs, []))[2].append(line)
    problems = []
    for (place, value), (check, syncs, lines) in missing.items():
        rows = [line for line in lines if line]
        where = (
            f"{place}, {'line' if len(rows) == 1 else 'lines'} {', '.join(rows)}" if rows else place
        )
        known = tuple(sorted(check.listed(reference))) if check.listed else ()
        problems.append(Problem(where, value, check.kind, known, syncs))
    return TenantReport(len(answers), problems, unchecked)


def _values(settings: Settings) -> Iterator[tuple[str, str, str, Check, tuple[str, ...]]]:
    """(setting or "file, column", line or "", value, check, syncs) of every code to check."""
    for setting, (read, check, syncs) in SETTINGS.items():
        if value := read(settings).strip():
            yield setting, "", value, check, syncs
    folder = seeds_dir(settings)
    for file_name, columns in MAPPINGS.items():
        for line, row in _rows(folder / file_name):
            for column, (check, syncs) in columns.items():
                if value := (row.get(column) or "").strip():
                    place = f"{_edited_file(settings, file_name)} ({column})"
                    yield place, str(line), value, check, syncs


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.exists():
        return
    with path.open(newline="", encoding="utf-8") as handle:
        yield from enumerate(csv.DictReader(handle), start=2)  # line 1 is the header


def _edited_file(settings: Settings, file_name: str) -> str:
    """The mapping file a person edits: the deployment's own, or the project's seed."""
    own = settings.mappings_dir / file_name if settings.mappings_dir else None
    return str(own) if own and own.exists() else f"dbt_project/seeds/{file_name}"


def check_mapping_rows(
    reference: TenantReference, file_name: str, rows: list[dict[str, str]]
) -> list[tuple[int, str, str]]:
    """A mapping table as a person edits it, checked against the tenant before it is saved:
    (row index, column, problem) for each value Infor lacks (each value asked once). A list
    the tenant does not offer is reported on the first row that names it, as not checked."""
    checks = MAPPINGS.get(file_name, {})
    answers: dict[tuple[str, str], bool | str] = {}
    problems = []
    for index, row in enumerate(rows):
        for column, (check, _syncs) in checks.items():
            value = (row.get(column) or "").strip()
            if not value:
                continue
            if (check.kind, value) not in answers:
                try:
                    answers[(check.kind, value)] = check.exists(reference, value)
                except M3Error as error:
                    answers[(check.kind, value)] = f"not checked: Infor answered {error}"
                    problems.append((index, column, str(answers[(check.kind, value)])))
                    continue
            if answers[(check.kind, value)] is False:
                known = tuple(sorted(check.listed(reference))) if check.listed else ()
                hint = f" (it has {', '.join(known[:8])}{', ...' if len(known) > 8 else ''})"
                problems.append(
                    (
                        index,
                        column,
                        f"{check.kind} {value!r} does not exist in Infor" + (hint if known else ""),
                    )
                )
    return problems
