"""GLS840MI GL interface batches (field-based lines), posted as vouchers that GLS200MI reads.

`AddBatchHead` opens a batch under a unique KEY1 (it doubles as an idempotency key);
`AddBatchLineFld` adds one debit/credit line whose AIT1 must be an open GL account; `CtrlBatch`
checks that each voucher (lines sharing GRNR) balances; `UpdBatch` checks again and posts one
voucher per GRNR group into the general ledger.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sandbox.infor import errors
from sandbox.infor.company import (
    API_USER,
    BATCH_CONTROLLED,
    BATCH_OPEN,
    BATCH_POSTED,
    CONO,
    VOUCHER_SERIES,
)
from sandbox.infor.errors import MIError
from sandbox.infor.registry import Call, Record, handles
from sandbox.infor.store import Stamp, Store, touch
from sandbox.infor.values import amount, parse_decimal

GL_COLUMNS = ("yea4", "jrno", "jsno", "vono", "acdt", "lmts")


def _batch(call: Call) -> Record:
    batch = call.store.doc("select doc from gl_batches where key1 = ?", (call.get("KEY1"),))
    if batch is None:
        raise call.not_found("KEY1")
    return batch


def _save_batch(call: Call, batch: Record, state: str) -> None:
    batch["_STATE"] = state
    touch(batch, call.stamp)
    call.store.save("gl_batches", {"key1": batch["KEY1"]}, batch, state=state)


def _open_batch(call: Call) -> Record:
    batch = _batch(call)
    if batch["_STATE"] == BATCH_POSTED:
        raise MIError(errors.WRONG_STATUS, f"Batch {batch['KEY1']} is already posted", "KEY1")
    return batch


def account(store: Store, dimension: int, code: str) -> Record | None:
    return store.doc("select doc from accounts where aitp = ? and aitm = ?", (dimension, code))


@handles("GLS840MI", "AddBatchHead")
def add_head(call: Call) -> list[Record]:
    key1 = call.get("KEY1")
    if call.store.db.scalar("select 1 from gl_batches where key1 = ?", (key1,)):
        raise errors.duplicate("KEY1", call.label("KEY1"), key1)
    batch = {
        **call.fields,
        "CONO": CONO,
        "DIVI": call.get("DIVI") or call.tenant.divi,
        "_STATE": BATCH_OPEN,
    }
    touch(batch, call.stamp, new=True)
    call.store.insert("gl_batches", {"key1": key1, "state": BATCH_OPEN}, batch)
    return [{"CONO": CONO}]


def _signed(call: Call) -> tuple[Decimal, Decimal, str]:
    """(recorded, foreign, D/C): debit positive, credit negative; DBCR turns a plain amount."""
    recorded = call.decimal("ACAM")
    foreign = call.decimal("CUAM")
    if recorded is None and foreign is None:
        raise errors.missing("ACAM", call.label("ACAM"))
    recorded = foreign if recorded is None else recorded
    foreign = recorded if foreign is None else foreign
    side = call.get("DBCR")
    if side and side not in ("D", "C"):
        raise errors.invalid("DBCR", call.label("DBCR"), side, "must be D or C")
    if side:
        sign = Decimal(1) if side == "D" else Decimal(-1)
        recorded, foreign = sign * abs(recorded), sign * abs(foreign)
    if recorded == 0:
        raise errors.invalid(
            "ACAM", call.label("ACAM"), call.get("ACAM") or "0", "must not be zero"
        )
    return recorded, foreign, "D" if recorded > 0 else "C"


@handles("GLS840MI", "AddBatchLineFld")
def add_line(call: Call) -> list[Record]:
    batch = _open_batch(call)
    line_no = call.integer("LINE")
    if call.store.db.scalar(
        "select 1 from gl_batch_lines where key1 = ? and line = ?", (batch["KEY1"], line_no)
    ):
        raise errors.duplicate("LINE", call.label("LINE"), call.get("LINE"))
    gl_account = account(call.store, 1, call.require("AIT1"))
    if gl_account is None:
        raise call.not_found("AIT1")
    if gl_account.get("LCCD") == "1":
        raise MIError(
            errors.BLOCKED, f"{call.label('AIT1')} {gl_account['AITM']} is blocked", "AIT1"
        )
    if call.get("AIT2") and account(call.store, 2, call.get("AIT2")) is None:
        raise call.not_found("AIT2")
    call.check_codes({name: call.get(name) for name in ("CUCD", "VTCD")})
    currency = call.get("CUCD") or call.tenant.local_currency
    recorded, foreign, side = _signed(call)
    line = {
        **call.fields,
        "LINE": str(line_no),
        "CUCD": currency,
        "ACAM": amount(recorded),
        "CUAM": amount(foreign),
        "DBCR": side,
        "ACDT": call.date("ACDT", call.stamp.lmdt) or call.stamp.lmdt,
    }
    call.store.insert("gl_batch_lines", {"key1": batch["KEY1"], "line": line_no}, line)
    return []


def _vouchers(call: Call, batch: Record) -> dict[str, list[Record]]:
    """The batch's lines grouped into vouchers by GRNR, each checked to balance."""
    lines = call.store.docs(
        "select doc from gl_batch_lines where key1 = ? order by line", (batch["KEY1"],)
    )
    if not lines:
        raise MIError(errors.WRONG_STATUS, f"Batch {batch['KEY1']} has no lines", "KEY1")
    groups: dict[str, list[Record]] = defaultdict(list)
    for line in lines:
        groups[line.get("GRNR", "")].append(line)
    for group, members in groups.items():
        debit = sum((parse_decimal(m["ACAM"]) for m in members if m["DBCR"] == "D"), Decimal(0))
        credit = -sum((parse_decimal(m["ACAM"]) for m in members if m["DBCR"] == "C"), Decimal(0))
        if debit != credit:
            where = f" voucher group {group}" if group else ""
            raise MIError(
                errors.NOT_BALANCED,
                f"Batch {batch['KEY1']}{where} is not balanced: "
                f"debit {amount(debit)}, credit {amount(credit)}",
                "KEY1",
            )
    return groups


@handles("GLS840MI", "CtrlBatch")
def control(call: Call) -> list[Record]:
    batch = _open_batch(call)
    _vouchers(call, batch)
    _save_batch(call, batch, BATCH_CONTROLLED)
    return [{"CONO": CONO}]


def post_voucher(
    store: Store, lines: list[Record], *, stamp: Stamp, user: str, description: str, key: str = ""
) -> int:
    """Write one balanced voucher into the general ledger; returns its voucher number."""
    accounting_date = lines[0]["ACDT"]
    yea4 = int(accounting_date[:4])
    vono = store.next_number(f"voucher:{yea4}", 1)
    jrno = store.next_number("gl_journal", 1)
    for jsno, line in enumerate(lines, start=1):
        entry = {
            "CONO": CONO,
            "DIVI": store.tenant.divi,
            "YEA4": str(yea4),
            "JRNO": str(jrno),
            "JSNO": str(jsno),
            "VSER": VOUCHER_SERIES,
            "VONO": str(vono),
            "ACDT": line["ACDT"],
            "OCDT": stamp.lmdt,
            "TDSC": description[:10],
            "VTXT": line.get("VTXT", ""),
            "CUCD": line.get("CUCD", store.tenant.local_currency),
            "CRTP": "1",
            "ARAT": line.get("ARAT") or "1",
            "ACAM": line["ACAM"],
            "CUAM": line.get("CUAM") or line["ACAM"],
            "DBCR": line["DBCR"],
            "DCAM": "2",
            "ACQT": line.get("ACQT", ""),
            "EICD": line.get("EICD", ""),
            "VTCD": line.get("VTCD", ""),
            "_KEY1": key,
            **{f"AIT{n}": line.get(f"AIT{n}", "") for n in range(1, 8)},
        }
        touch(entry, stamp, user, new=True)
        columns = (yea4, jrno, jsno, vono, entry["ACDT"], stamp.lmts)
        store.insert("gl_lines", dict(zip(GL_COLUMNS, columns, strict=True)), entry)
    return vono


@handles("GLS840MI", "UpdBatch")
def post(call: Call) -> list[Record]:
    batch = _open_batch(call)
    for lines in _vouchers(call, batch).values():
        post_voucher(
            call.store,
            lines,
            stamp=call.stamp,
            user=API_USER,
            description=batch.get("DESC", ""),
            key=batch["KEY1"],
        )
    _save_batch(call, batch, BATCH_POSTED)
    return [{"CONO": CONO}]


# --- GLS200MI -------------------------------------------------------------------------------------
@handles("GLS200MI", "LstVouchersByDt")
def list_by_date(call: Call) -> list[Record]:
    return call.store.docs(
        "select doc from gl_lines where acdt between ? and ? "
        "order by acdt, yea4, jrno, jsno limit ?",
        (call.date("FRDT"), call.date("TODT"), call.sql_limit),
    )


def _voucher_lines(call: Call) -> list[Record]:
    sql, params = (
        "select doc from gl_lines where yea4 = ? and vono = ?",
        [call.integer("YEA4"), call.integer("VONO")],
    )
    if call.get("JRNO"):
        sql += " and jrno = ?"
        params.append(call.integer("JRNO"))
    lines = call.store.docs(sql + " order by jrno, jsno", params)
    if call.get("VSER"):
        lines = [line for line in lines if line["VSER"] == call.get("VSER")]
    return lines


@handles("GLS200MI", "LstVoucherLines")
def list_voucher_lines(call: Call) -> list[Record]:
    return call.page(_voucher_lines(call))


@handles("GLS200MI", "GetVoucherLine")
def get_voucher_line(call: Call) -> list[Record]:
    wanted = str(call.integer("JSNO"))
    for line in _voucher_lines(call):
        if line["JSNO"] == wanted:
            return [line]
    raise call.not_found("JSNO")


@handles("GLS200MI", "GetVoucherHead")
def get_voucher_head(call: Call) -> list[Record]:
    lines = _voucher_lines(call)
    if not lines:
        raise call.not_found("VONO")
    debit = sum((parse_decimal(line["ACAM"]) for line in lines if line["DBCR"] == "D"), Decimal(0))
    credit = -sum(
        (parse_decimal(line["ACAM"]) for line in lines if line["DBCR"] == "C"), Decimal(0)
    )
    first = lines[0]
    head = {key: first[key] for key in ("CONO", "DIVI", "YEA4", "VSER", "VONO", "TDSC", "CUCD")}
    head.update(DSUM=amount(debit), CSUM=amount(credit), CUAD=amount(debit), CUAC=amount(credit))
    return [head]
