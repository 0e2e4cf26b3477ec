"""CRS620MI suppliers (CIDMAS): add, get, list by number, incremental list by LMTS."""

from __future__ import annotations

from sandbox.infor import errors
from sandbox.infor.company import CONO
from sandbox.infor.registry import Call, Record, handles
from sandbox.infor.store import touch

PROGRAM = "CRS620MI"


@handles(PROGRAM, "AddSupplier")
def add(call: Call) -> list[Record]:
    suno = call.get("SUNO")
    if call.store.db.scalar("select 1 from suppliers where suno = ?", (suno,)):
        raise errors.duplicate("SUNO", call.label("SUNO"), suno)
    call.check_codes(call.fields)
    doc = {**call.fields, "CONO": CONO, "STAT": call.get("STAT") or "20"}
    touch(doc, call.stamp, new=True)
    call.store.insert("suppliers", {"suno": suno, "lmts": call.stamp.lmts}, doc)
    return [{"SUNO": suno, "STAT": doc["STAT"]}]


@handles(PROGRAM, "GetBasicData")
def get(call: Call) -> list[Record]:
    supplier = call.store.doc("select doc from suppliers where suno = ?", (call.get("SUNO"),))
    if supplier is None:
        raise call.not_found("SUNO")
    return [supplier]


@handles(PROGRAM, "LstByNumber")
def list_by_number(call: Call) -> list[Record]:
    return call.store.docs(
        "select doc from suppliers where suno >= ? order by suno limit ?",
        (call.get("SUNO"), call.sql_limit),
    )


@handles(PROGRAM, "LstSuppliers")
def list_suppliers(call: Call) -> list[Record]:
    return call.store.docs(
        "select doc from suppliers where suno between ? and ? and lmts >= ? order by suno limit ?",
        (
            call.get("FRSU"),
            call.get("TOSU") or "\uffff",
            int(call.get("LMTS") or 0),
            call.sql_limit,
        ),
    )


def _supplier(call: Call) -> Record:
    supplier = call.store.doc("select doc from suppliers where suno = ?", (call.get("SUNO"),))
    if supplier is None:
        raise call.not_found("SUNO")
    return supplier


# --- supplier references (CIDREF): contacts, by reference type and id --------------------------
@handles(PROGRAM, "AddSupplierRef")
def add_reference(call: Call) -> list[Record]:
    suno = _supplier(call)["SUNO"]
    call.check_codes({"RFTY": call.get("RFTY")})
    key = (suno, call.get("RFTY"), call.get("RFID"))
    if call.store.db.scalar(
        "select 1 from supplier_refs where suno = ? and rfty = ? and rfid = ?", key
    ):
        raise errors.duplicate("RFID", call.label("RFID"), call.get("RFID"))
    doc = {**call.fields, "CONO": CONO, "SUNO": suno}
    call.store.insert("supplier_refs", dict(zip(("suno", "rfty", "rfid"), key, strict=True)), doc)
    return []


@handles(PROGRAM, "LstSupplierRef")
def list_references(call: Call) -> list[Record]:
    suno = _supplier(call)["SUNO"]
    refs = call.store.docs(
        "select doc from supplier_refs where suno = ? order by rfty, rfid", (suno,)
    )
    wanted = {name: call.get(name) for name in ("RFTY", "RFID") if call.get(name)}
    return call.page([r for r in refs if all(r[k] == v for k, v in wanted.items())])
