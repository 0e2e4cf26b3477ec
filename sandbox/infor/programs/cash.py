"""ABS100MI bank statements: cash receipts whose details name AR invoices (CINO) to settle.

A statement is a head (job key JBNO/JBDT/JBTM), lines (an amount received, a payer) and details
(how a line's amount splits over invoices). A detail without an invoice carries a business
transaction code (BLBC) the tenant's ABS set-up books to an account instead, such as a payment
difference; its amount may be negative. `ValidateStatmt` checks that every line's details add
up to the line, then books each invoice detail as a payment on its invoice's open item: partial
payments leave the invoice open with a smaller remaining amount, a full one reconciles it (RECO
9). The coded details never reach AR. The payment's text (TDSC) is what the tenant writes there:
the statement number, the line's bank reference, or the payment date.

An outgoing payment is a line paid to a supplier (SPYN, a negative amount) whose details name
the supplier invoices (SINO) it pays, negative as well; validating books each as a payment on
the invoice's AP open item (see `payables`), reconciling it once nothing is owed.
"""

from __future__ import annotations

from decimal import Decimal

from sandbox.infor import errors, payables, receivables
from sandbox.infor.company import (
    API_USER,
    CONO,
    RECO_PAID,
    STATEMENT_ENTERED,
    STATEMENT_PROCESSED,
)
from sandbox.infor.errors import MIError
from sandbox.infor.programs import customers
from sandbox.infor.registry import Call, Record, handles
from sandbox.infor.store import Store, touch
from sandbox.infor.values import amount, parse_decimal

PROGRAM = "ABS100MI"

# The business transaction codes (BLBC) each tenant's ABS set-up books to a GL account rather
# than an AR invoice. M3 has no MI transaction that lists them.
ACCOUNT_CODES: dict[str, dict[str, str]] = {
    "default": {"PAYDIF": "Payment difference", "BNKFEE": "Bank charges"},
    "other": {"ARDIFF": "AR payment difference", "CHARGE": "Bank charges"},
}


def _bank(call: Call) -> Record:
    bank = call.store.doc("select doc from bank_ids where bsid = ?", (call.get("BSID"),))
    if bank is None:
        raise call.not_found("BSID")
    return bank


@handles(PROGRAM, "GetBankIdent", "GetBankIdent2")
def get_bank_identifier(call: Call) -> list[Record]:
    return [_bank(call)]


def _statement(call: Call, *, open_only: bool = True) -> Record:
    jbno = call.integer("JBNO")
    statement = call.store.doc("select doc from statements where jbno = ?", (jbno,))
    same_job = statement is not None and (statement["JBDT"], statement["JBTM"]) == (
        str(call.integer("JBDT")),
        str(call.integer("JBTM")),
    )
    if not same_job:
        raise call.not_found(
            "JBNO", f"{call.get('JBNO')}/{call.get('JBDT')}/{call.get('JBTM')}", "Job number"
        )
    if open_only and statement["BSHS"] == STATEMENT_PROCESSED:
        raise MIError(
            errors.WRONG_STATUS, f"Bank statement {statement['STMN']} is already processed", "JBNO"
        )
    return statement


def _save_statement(call: Call, statement: Record) -> None:
    touch(statement, call.stamp)
    call.store.save("statements", {"jbno": int(statement["JBNO"])}, statement)


@handles(PROGRAM, "AddStatmtHead")
def add_head(call: Call) -> list[Record]:
    bank = _bank(call)
    currency = call.get("CUCD")
    call.check_codes({"CUCD": currency})
    if currency != bank["_CUCD"]:
        raise errors.invalid(
            "CUCD", call.label("CUCD"), currency, f"is not the currency of bank {bank['BSID']}"
        )
    duplicate = call.store.db.scalar(
        "select jbno from statements where bsid = ? and stmn = ?", (bank["BSID"], call.get("STMN"))
    )
    if duplicate is not None:
        raise errors.duplicate("STMN", call.label("STMN"), call.get("STMN"))
    jbno = call.store.next_number("bank_job", 1)
    stamp = call.stamp
    statement = {
        **{name: value for name, value in call.fields.items() if name not in ("CONO", "DIVI")},
        "CONO": CONO,
        "DIVI": call.tenant.divi,
        "JBNO": str(jbno),
        "JBDT": str(int(stamp.lmdt[2:])),  # the job date is a YYMMDD number
        "JBTM": str(int(stamp.time)),
        "BSHS": STATEMENT_ENTERED,
        "BSHB": "0",
    }
    for name in ("BSOT", "BSCT"):
        if name in statement:
            statement[name] = call.date(name) or ""
    touch(statement, stamp, new=True)
    call.store.insert(
        "statements", {"jbno": jbno, "bsid": bank["BSID"], "stmn": call.get("STMN")}, statement
    )
    return [{key: statement[key] for key in ("CONO", "DIVI", "JBNO", "JBDT", "JBTM")}]


@handles(PROGRAM, "UpdStatmtHead")
def update_head(call: Call) -> list[Record]:
    statement = _statement(call)
    for name, value in call.fields.items():
        if name not in ("CONO", "DIVI", "JBNO", "JBDT", "JBTM"):
            is_date = name in ("BSOT", "BSCT")
            statement[name] = (call.date(name) or "") if is_date else value
    _save_statement(call, statement)
    return []


@handles(PROGRAM, "UpdStatmtStatus")
def update_status(call: Call) -> list[Record]:
    statement = _statement(call, open_only=False)
    status, blocked = str(call.integer("BSHS")), str(call.integer("BSHB"))
    if status not in ("1", "2", "3") or blocked not in ("0", "1"):
        raise errors.invalid("BSHS", call.label("BSHS"), f"{status}/{blocked}")
    statement["BSHS"], statement["BSHB"] = status, blocked
    _save_statement(call, statement)
    return []


def _line(call: Call, jbno: int) -> Record | None:
    return call.store.doc(
        "select doc from statement_lines where jbno = ? and blsn = ?", (jbno, call.integer("BLSN"))
    )


@handles(PROGRAM, "AddStatmtLine")
def add_line(call: Call) -> list[Record]:
    statement = _statement(call)
    jbno = int(statement["JBNO"])
    if _line(call, jbno) is not None:
        raise errors.duplicate("BLSN", call.label("BLSN"), call.get("BLSN"))
    if call.get("PYNO"):
        customers.existing(call, "PYNO")
    if call.get("SPYN") and not call.store.db.scalar(
        "select 1 from suppliers where suno = ?", (call.get("SPYN"),)
    ):
        raise call.not_found("SPYN")
    line = {
        **call.fields,
        "CONO": CONO,
        "DIVI": call.tenant.divi,
        "BLSN": str(call.integer("BLSN")),
        "BLLF": amount(call.decimal("BLLF") or Decimal("0")),
        "CUCD": call.get("CUCD") or statement["CUCD"],
    }
    for name in ("CURD", "ACDT"):
        if name in line:
            line[name] = call.date(name) or ""
    call.store.insert("statement_lines", {"jbno": jbno, "blsn": int(line["BLSN"])}, line)
    return [{"CONO": CONO, "DIVI": call.tenant.divi, "BLSN": line["BLSN"]}]


def _details(call: Call, jbno: int, blsn: int | None = None) -> list[Record]:
    if blsn is None:
        return call.store.docs(
            "select doc from statement_details where jbno = ? order by blsn, blss", (jbno,)
        )
    return call.store.docs(
        "select doc from statement_details where jbno = ? and blsn = ? order by blss", (jbno, blsn)
    )


def _open_invoice(call: Call, cino: str, inyr: int | None, payer: str) -> Record:
    invoice = receivables.invoice_item(call.store, cino, inyr)
    if invoice is None:
        raise call.not_found("CINO", cino, "Invoice no AR")
    if payer and payer not in (invoice["PYNO"], invoice["CUNO"]):
        raise errors.invalid("CINO", "Invoice no AR", cino, f"does not belong to payer {payer}")
    if invoice["RECO"] == RECO_PAID:
        raise MIError(errors.WRONG_STATUS, f"Invoice no AR {cino} is already paid", "CINO")
    return invoice


def _open_supplier_invoice(call: Call, sino: str, payee: str) -> Record:
    """The AP item of the payee's supplier invoice `sino`, still to be paid."""
    if not payee:
        raise errors.missing("SPYN", "Payee")
    invoice = payables.invoice_item(call.store, payee, sino)
    if invoice is None:
        raise call.not_found("SINO", sino, "Supplier invoice number")
    if invoice["RECO"] == RECO_PAID:
        raise MIError(errors.WRONG_STATUS, f"Supplier invoice {sino} is already paid", "SINO")
    return invoice


def _account_code(call: Call) -> str:
    """The detail's business transaction code, which the tenant must have set up."""
    code = call.get("BLBC")
    if code and code not in ACCOUNT_CODES[call.tenant.name]:
        raise call.tenant.wording.unknown_code("BLBC", call.label("BLBC"), code)
    return code


@handles(PROGRAM, "AddStatmtDetail")
def add_detail(call: Call) -> list[Record]:
    statement = _statement(call)
    jbno = int(statement["JBNO"])
    line = _line(call, jbno)
    if line is None:
        raise call.not_found("BLSN")
    blsn, blss = int(line["BLSN"]), call.integer("BLSS")
    siblings = _details(call, jbno, blsn)
    if any(int(detail["BLSS"]) == blss for detail in siblings):
        raise errors.duplicate("BLSS", call.label("BLSS"), call.get("BLSS"))
    code = _account_code(call)
    already = sum((parse_decimal(d["BLNF"]) for d in siblings), Decimal("0"))
    net = call.decimal("BLNF", parse_decimal(line["BLLF"]) - already) or Decimal("0")
    detail = {**call.fields, "CONO": CONO, "DIVI": call.tenant.divi}
    if call.get("SINO"):
        invoice = _open_supplier_invoice(call, call.get("SINO"), line.get("SPYN", ""))
        if net >= 0:
            raise errors.invalid(
                "BLNF", call.label("BLNF"), amount(net), "must be negative for a supplier invoice"
            )
        left = payables.remaining(call.store, invoice["SUNO"], invoice["SINO"])
        if -net > left:
            raise errors.invalid(
                "BLNF", call.label("BLNF"), amount(net), f"exceeds the open amount {amount(left)}"
            )
        detail |= {"SUNO": invoice["SUNO"], "SINO": invoice["SINO"]}
    elif code and not call.get("CINO"):
        # Booked by its code, to the account the tenant set up for it: either sign.
        if net == 0:
            raise errors.invalid("BLNF", call.label("BLNF"), amount(net), "must not be zero")
    else:
        invoice = _open_invoice(
            call, call.require("CINO"), call.integer("INYR"), line.get("PYNO", "")
        )
        if net <= 0:
            raise errors.invalid(
                "BLNF", call.label("BLNF"), call.get("BLNF") or amount(net), "must be positive"
            )
        left = receivables.remaining(call.store, invoice["CINO"], int(invoice["INYR"]))
        if net > left:
            raise errors.invalid(
                "BLNF",
                call.label("BLNF"),
                amount(net),
                f"exceeds the remaining amount {amount(left)}",
            )
        detail |= {"CINO": invoice["CINO"], "INYR": invoice["INYR"]}
    detail |= {"BLSN": str(blsn), "BLSS": str(blss), "BLNF": amount(net)}
    call.store.insert("statement_details", {"jbno": jbno, "blsn": blsn, "blss": blss}, detail)
    return [{"CONO": CONO, "DIVI": call.tenant.divi, "BLSN": str(blsn), "BLSS": str(blss)}]


def _invoice_details(details: list[Record]) -> list[Record]:
    """The details that settle AR invoices (the others are booked by their code)."""
    return [detail for detail in details if detail.get("CINO")]


@handles(PROGRAM, "ValidateStatmt")
def validate(call: Call) -> list[Record]:
    statement = _statement(call)
    if statement.get("BSHB") == "1":
        raise MIError(errors.BLOCKED, f"Bank statement {statement['STMN']} is blocked", "JBNO")
    jbno = int(statement["JBNO"])
    lines = call.store.docs("select doc from statement_lines where jbno = ? order by blsn", (jbno,))
    if not lines:
        raise MIError(
            errors.NOT_BALANCED, f"Bank statement {statement['STMN']} has no lines", "JBNO"
        )
    details = _details(call, jbno)
    for line in lines:
        mine = [d for d in details if d["BLSN"] == line["BLSN"]]
        total = sum((parse_decimal(d["BLNF"]) for d in mine), Decimal("0"))
        if total != parse_decimal(line["BLLF"]):
            raise MIError(
                errors.NOT_BALANCED,
                f"Statement line {line['BLSN']}: details {amount(total)} do not match "
                f"the line amount {line['BLLF']}",
                "BLSN",
            )
    # Check every invoice before booking any payment, so a statement posts whole or not at all.
    supplier_details = [d for d in details if d.get("SINO") and not d.get("CINO")]
    _check_supplier_payments(call, supplier_details)
    invoice_details = _invoice_details(details)
    for detail in invoice_details:
        line = next(line for line in lines if line["BLSN"] == detail["BLSN"])
        invoice = _open_invoice(call, detail["CINO"], int(detail["INYR"]), line.get("PYNO", ""))
        left = receivables.remaining(call.store, invoice["CINO"], int(invoice["INYR"]))
        pending = sum(
            (
                parse_decimal(d["BLNF"])
                for d in invoice_details
                if (d["CINO"], d["INYR"]) == (detail["CINO"], detail["INYR"])
            ),
            Decimal("0"),
        )
        if pending > left:
            raise errors.invalid(
                "BLNF",
                "Net amount Cur",
                amount(pending),
                f"exceeds the remaining amount {amount(left)} of invoice {detail['CINO']}",
            )
    for detail in invoice_details:
        line = next(line for line in lines if line["BLSN"] == detail["BLSN"])
        invoice = receivables.invoice_item(call.store, detail["CINO"], int(detail["INYR"]))
        paid_on = line.get("ACDT") or line.get("CURD") or call.stamp.lmdt
        receivables.apply_payment(
            call.store,
            invoice=invoice,
            amount_paid=parse_decimal(detail["BLNF"]),
            payment_date=paid_on,
            stamp=call.stamp,
            user=API_USER,
            text=receivables.receipt_text(
                call.tenant.receipt_text,
                statement=statement["STMN"],
                bank_reference=line.get("ABNO", ""),
                paid_on=paid_on,
            ),
        )
    _pay_suppliers(call, lines, supplier_details)
    statement["BSHS"] = STATEMENT_PROCESSED
    _save_statement(call, statement)
    return []


def _check_supplier_payments(call: Call, details: list[Record]) -> None:
    """Each supplier invoice still open for what the statement pays on it."""
    pending: dict[tuple[str, str], Decimal] = {}
    for detail in details:
        key = (detail["SUNO"], detail["SINO"])
        pending[key] = pending.get(key, Decimal("0")) - parse_decimal(detail["BLNF"])
    for (suno, sino), paying in pending.items():
        _open_supplier_invoice(call, sino, suno)
        left = payables.remaining(call.store, suno, sino)
        if paying > left:
            raise errors.invalid(
                "BLNF",
                "Net amount Cur",
                amount(-paying),
                f"exceeds the open amount {amount(left)} of supplier invoice {sino}",
            )


def _pay_suppliers(call: Call, lines: list[Record], details: list[Record]) -> None:
    """Book the outgoing payments (checked by `_check_supplier_payments`)."""
    for detail in details:
        line = next(line for line in lines if line["BLSN"] == detail["BLSN"])
        invoice = payables.invoice_item(call.store, detail["SUNO"], detail["SINO"])
        assert invoice is not None  # checked above
        payables.apply_payment(
            call.store,
            invoice=invoice,
            amount_paid=-parse_decimal(detail["BLNF"]),
            payment_date=line.get("ACDT") or line.get("CURD") or call.stamp.lmdt,
            stamp=call.stamp,
            user=API_USER,
        )


def statements(store: Store, stmn: str) -> list[Record]:
    """The statements of this number (one per bank identifier at most), each with its lines
    and details as the sandbox holds them: a test's view of what was posted, which ABS100MI
    itself cannot read back."""
    found = []
    for head in store.docs("select doc from statements where stmn = ? order by jbno", (stmn,)):
        job = (int(head["JBNO"]),)
        lines = "select doc from statement_lines where jbno = ? order by blsn"
        details = "select doc from statement_details where jbno = ? order by blsn, blss"
        found.append({**head, "lines": store.docs(lines, job), "details": store.docs(details, job)})
    return found
