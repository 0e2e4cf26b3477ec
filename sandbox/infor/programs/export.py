"""EXPORTMI `Select` and `LstFields` over the tables that hold a tenant's codes.

Real EXPORTMI runs a query on any M3 table and answers each row as one delimited string (REPL).
The sandbox serves the code tables a connector reads to check its codes before writing:
divisions (CMNDIV), facilities (CFACIL), warehouses (MITWHL), order types (OOTYPE) and the system
tables (CSYTAB: currencies CUCD, customer groups CUCL, payment methods PYCD, countries CSCD,
VAT codes VTCD, payment terms TEPY, supplier groups SUCL, AP payment methods PYME), and the
accounts payable ledger (FPLEDG) that supplier invoices and their payments book. Query subset:
`[select] COL, ... | * from TABLE [where COL = 'value' [and COL = value ...]]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sandbox.infor import errors
from sandbox.infor.company import CONO
from sandbox.infor.registry import Call, Record, handles
from sandbox.infor.tenant import Tenant

PROGRAM = "EXPORTMI"
Column = tuple[str, int, str]  # field, length, description

TABLES: dict[str, tuple[Column, ...]] = {
    "CMNDIV": (
        ("CCCONO", 3, "Company"), ("CCDIVI", 3, "Division"), ("CCCONM", 36, "Name"),
        ("CCLOCD", 3, "Local currency"),
    ),
    "CFACIL": (
        ("CFCONO", 3, "Company"), ("CFFACI", 3, "Facility"), ("CFFACN", 30, "Name"),
        ("CFDIVI", 3, "Division"),
    ),
    "MITWHL": (
        ("MWCONO", 3, "Company"), ("MWWHLO", 3, "Warehouse"), ("MWWHNM", 36, "Name"),
        ("MWFACI", 3, "Facility"), ("MWDIVI", 3, "Division"),
    ),
    "OOTYPE": (
        ("OOCONO", 3, "Company"), ("OOORTP", 3, "Order type"), ("OOTX40", 40, "Description"),
        ("OOTX15", 15, "Name"),
    ),
    "CSYTAB": (
        ("CTCONO", 3, "Company"), ("CTDIVI", 3, "Division"), ("CTSTCO", 10, "Constant value"),
        ("CTSTKY", 30, "Key value"), ("CTLNCD", 2, "Language"), ("CTTX40", 40, "Description"),
        ("CTTX15", 15, "Name"),
    ),
    "FPLEDG": (
        ("EPCONO", 3, "Company"), ("EPDIVI", 3, "Division"), ("EPYEA4", 4, "Year"),
        ("EPJRNO", 7, "Journal number"), ("EPJSNO", 5, "Journal sequence"),
        ("EPSPYN", 10, "Payee"), ("EPSUNO", 10, "Supplier"), ("EPSINO", 24, "Supplier inv no"),
        ("EPTRCD", 2, "Transaction code"), ("EPCUCD", 3, "Currency"),
        ("EPCUAM", 17, "Foreign amount"), ("EPVTAM", 17, "VAT amount"),
        ("EPIVDT", 8, "Invoice date"), ("EPDUDT", 8, "Due date"), ("EPACDT", 8, "Acc date"),
        ("EPRECO", 1, "Reconc code"), ("EPREDE", 8, "Reconc date"),
    ),
}  # fmt: skip
NUMERIC = frozenset({"CCCONO", "CFCONO", "MWCONO", "OOCONO", "CTCONO", "EPCONO"})
QUERY = re.compile(
    r"^\s*(?:select\s+)?(?P<columns>.+?)\s+from\s+(?P<table>\w+)(?:\s+where\s+(?P<where>.+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
CONDITION = re.compile(r"^\s*(?P<field>\w+)\s*=\s*(?:'(?P<quoted>[^']*)'|(?P<bare>[^\s']+))\s*$")


def _system_table(tenant: Tenant) -> list[tuple[str, str, str]]:
    """CSYTAB rows as (constant, key, description)."""
    entries: dict[str, dict[str, str]] = {
        "CUCD": dict(tenant.currencies),
        "CUCL": dict(tenant.customer_groups.values()),
        "PYCD": dict(tenant.payment_methods),
        "CSCD": {country: country for country in tenant.countries},
        "VTCD": {code: vat.description for code, vat in tenant.vat_codes.items()},
        "TEPY": {days: f"{days} days net" for days in ("15", "30", "45")},
        "SUCL": dict(tenant.supplier_groups),
        "PYME": dict(tenant.ap_payment_methods),
    }
    return [(stco, key, text) for stco, keys in entries.items() for key, text in keys.items()]


def _ap_ledger(call: Call) -> list[tuple[str, ...]]:
    items = call.store.docs("select doc from ap_items order by yea4, jrno, jsno")
    fields = [name[2:] for name, _, _ in TABLES["FPLEDG"]]
    return [tuple(item.get(field, "") for field in fields) for item in items]


def _tenant_rows(rows: Callable[[Tenant], list[tuple[str, ...]]]) -> Callable[[Call], list]:
    return lambda call: rows(call.tenant)


# Each table's rows, as values in the table's column order.
ROWS: dict[str, Callable[[Call], list[tuple[str, ...]]]] = {
    "CMNDIV": _tenant_rows(lambda t: [(CONO, t.divi, t.division[1], t.local_currency)]),
    "CFACIL": _tenant_rows(lambda t: [(CONO, t.faci, t.facility[1], t.divi)]),
    "MITWHL": _tenant_rows(
        lambda t: [(CONO, w, name, t.faci, t.divi) for w, name in t.warehouses.items()]
    ),
    "OOTYPE": _tenant_rows(
        lambda t: [(CONO, o, text, text[:15]) for o, text in t.order_types.items()]
    ),
    "CSYTAB": _tenant_rows(
        lambda t: [
            (CONO, "", stco, key, "GB", text, text[:15]) for stco, key, text in _system_table(t)
        ]
    ),
    "FPLEDG": _ap_ledger,
}


def _table(call: Call, field: str, name: str) -> tuple[Column, ...]:
    columns = TABLES.get(name.upper())
    if columns is None:
        raise call.not_found(field, name, "Table")
    return columns


def _invalid_query(call: Call, why: str = "is invalid") -> errors.MIError:
    return errors.invalid("QERY", call.label("QERY"), call.get("QERY"), why)


def _conditions(call: Call, where: str | None, known: set[str]) -> list[tuple[str, str]]:
    if not where:
        return []
    found = []
    for part in re.split(r"\s+and\s+", where, flags=re.IGNORECASE):
        match = CONDITION.match(part)
        if match is None:
            raise _invalid_query(call, f"is invalid near '{part.strip()}'")
        field = match["field"].upper()
        if field not in known:
            raise _invalid_query(call, f"names {field}, not a field of the table")
        value = match["quoted"] if match["quoted"] is not None else match["bare"]
        found.append((field, value.strip()))
    return found


def _same(field: str, stored: str, wanted: str) -> bool:
    if field in NUMERIC:
        return stored.lstrip("0") == wanted.lstrip("0")
    return stored == wanted


@handles(PROGRAM, "Select")
def select(call: Call) -> list[Record]:
    match = QUERY.match(call.get("QERY"))
    if match is None:
        raise _invalid_query(call)
    table = match["table"].upper()
    columns = _table(call, "QERY", table)
    names = [name for name, _, _ in columns]
    wanted = [c.strip().upper() for c in match["columns"].split(",")]
    picked = names if wanted == ["*"] else wanted
    unknown = [c for c in picked if c not in names]
    if unknown:
        raise _invalid_query(call, f"names {unknown[0]}, not a field of {table}")
    conditions = _conditions(call, match["where"], set(names))
    # A flat file pads each value to its field's length, or its name's when that is longer.
    widths = {name: max(length, len(name)) for name, length, _ in columns}
    separator = call.get("SEPC")

    def line(values: list[str]) -> Record:
        if separator:
            return {"REPL": separator.join(values)}
        return {"REPL": "".join(v.ljust(widths[c]) for c, v in zip(picked, values, strict=True))}

    rows = [dict(zip(names, row, strict=True)) for row in ROWS[table](call)]
    rows = [r for r in rows if all(_same(f, r[f], v) for f, v in conditions)]
    records = [line([row[c] for c in picked]) for row in rows]
    if call.get("HDRS") == "1":
        records.insert(0, line(picked))
    return call.page(records)


@handles(PROGRAM, "LstFields")
def list_fields(call: Call) -> list[Record]:
    return call.page(
        [
            {
                "FLDN": name,
                "FLDS": description[:15],
                "FLTY": "N" if name in NUMERIC else "A",
                "FLLE": str(length),
                "FLDP": "0",
            }
            for name, length, description in _table(call, "FILE", call.get("FILE"))
        ]
    )
