"""CRS610MI customers (OCUSMA): add, change, get, list by number/name, templates, search."""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.infor import errors
from sandbox.infor.company import CONO, DEFAULT_TERMS
from sandbox.infor.programs.common import changes, check_change_number, matches_query
from sandbox.infor.registry import Call, Record, handles
from sandbox.infor.store import Stamp, Store, touch
from sandbox.infor.tenant import Tenant

PROGRAM = "CRS610MI"
CUSTOMER_COLUMNS = ("cuno", "cunm", "lmts")


def customer_doc(
    cuno: str, fields: dict[str, str], template: Mapping[str, str], tenant: Tenant
) -> Record:
    """A new customer record: template defaults, then the given fields, then derived defaults."""
    doc: Record = {"CONO": CONO, "DIVI": "", "LNCD": "GB", "STAT": "20", "CUTP": "0"}
    doc.update({k: v for k, v in template.items() if k != "CUNM"})
    doc.update(fields)
    doc["CUNO"] = cuno
    doc.setdefault("CUCD", tenant.local_currency)
    doc.setdefault("CSCD", "US")
    doc.setdefault("VTCD", tenant.country_vat_code(doc["CSCD"]))
    doc.setdefault("TEPY", DEFAULT_TERMS)
    doc.setdefault("PYNO", "")
    doc.setdefault("FACI", tenant.faci)
    doc.setdefault("WHLO", tenant.whlo)
    doc.setdefault("ORTP", tenant.order_type)
    doc.setdefault("MODL", "UPS")
    doc.setdefault("TEDL", "FOB")
    doc.setdefault("CRTP", "1")
    return doc


def find(store: Store, cuno: str) -> Record | None:
    return store.doc("select doc from customers where cuno = ?", (cuno,))


def existing(call: Call, name: str = "CUNO") -> Record:
    customer = find(call.store, call.get(name))
    if customer is None:
        raise call.not_found(name)
    return customer


def insert(store: Store, doc: Record) -> None:
    store.insert(
        "customers", {"cuno": doc["CUNO"], "cunm": doc["CUNM"], "lmts": int(doc["LMTS"])}, doc
    )


def save(store: Store, doc: Record, stamp: Stamp) -> None:
    store.save("customers", {"cuno": doc["CUNO"]}, doc, cunm=doc["CUNM"], lmts=stamp.lmts)


@handles(PROGRAM, "Add")
def add(call: Call) -> list[Record]:
    call.check_codes({"CUTM": call.get("CUTM")})
    template = call.tenant.templates[call.get("CUTM")]
    cuno = call.get("CUNO")
    if cuno and find(call.store, cuno) is not None:
        raise errors.duplicate("CUNO", call.label("CUNO"), cuno)
    if not cuno:
        while True:  # numbers a person typed in may already use the next one in the series
            cuno = f"C{call.store.next_number('customer', 500001)}"
            if find(call.store, cuno) is None:
                break
    fields = changes(call, keys=("CUNO", "CUTM"))
    call.check_codes(fields)
    doc = customer_doc(cuno, fields, template, call.tenant)
    touch(doc, call.stamp, new=True)
    insert(call.store, doc)
    return [{"CUNO": cuno, "ERRM": ""}]


@handles(PROGRAM, "ChgBasicData", "ChgFinancial", "ChgOrderInfo")
def change(call: Call) -> list[Record]:
    customer = existing(call)
    check_change_number(call, customer)
    fields = changes(call, keys=("CUNO",))
    call.check_codes(fields)
    customer.update(fields)
    touch(customer, call.stamp)
    save(call.store, customer, call.stamp)
    return [{"CUNO": customer["CUNO"]}] if call.transaction.outputs else []


@handles(PROGRAM, "GetBasicData", "GetFinancial", "GetOrderInfo")
def get(call: Call) -> list[Record]:
    return [existing(call)]


@handles(PROGRAM, "LstByNumber")
def list_by_number(call: Call) -> list[Record]:
    lmts = int(call.get("LMTS") or 0)
    return call.store.docs(
        "select doc from customers where cuno >= ? and lmts >= ? order by cuno limit ?",
        (call.get("CUNO"), lmts, call.sql_limit),
    )


@handles(PROGRAM, "LstByName")
def list_by_name(call: Call) -> list[Record]:
    lmts = int(call.get("LMTS") or 0)
    return call.store.docs(
        "select doc from customers where cunm >= ? and lmts >= ? order by cunm, cuno limit ?",
        (call.get("CUNM"), lmts, call.sql_limit),
    )


@handles(PROGRAM, "LstTemplates")
def list_templates(call: Call) -> list[Record]:
    """The tenant's customer templates: what CRS610MI/Add accepts as CUTM."""
    rows = [
        {"CONO": CONO, "CUNO": cuno, "CUNM": t["CUNM"]} for cuno, t in call.tenant.templates.items()
    ]
    return call.page(sorted(rows, key=lambda row: row["CUNO"]))


@handles(PROGRAM, "SearchCustomer")
def search(call: Call) -> list[Record]:
    query = call.get("SQRY")
    found = []
    for doc in call.store.docs("select doc from customers order by cuno"):
        if matches_query(doc, query):
            found.append(
                {**doc, "PGNM": "CRS610", "FILE": "OCUSMA", "KSTR": f"{CONO}{doc['CUNO']}"}
            )
            if call.limit is not None and len(found) >= call.limit:
                break
    return found
