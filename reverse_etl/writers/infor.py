"""Infor M3 writer: customers, customer orders, cash receipts and GL journals.

Each entity has a handler that looks its record up in M3 by the natural key the sync model names
(CUNO, CUOR, STMN, KEY1) and only then writes. M3 writes take several transactions (Add, then
ChgFinancial; batch head, lines, Confirm). When a write stops halfway, the next attempt finds the
half-done record and adds only the steps it is missing, so nothing is entered twice. `find`
answers `unchanged` only for a complete record, so the runner sends a half-done one to `write`.

Every input is checked against the M3 contract before the first request of an operation goes
out. `OutcomeUnknown` is deliberately not caught here: the runner leaves the intent pending and
calls `find` before the next attempt.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache, partial
from typing import Any, ClassVar, TypeVar, get_args

from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails

from ledgerlink.connectors.infor import InforClient, M3AlreadyExists, M3InputRejected, M3NotFound
from ledgerlink.connectors.infor.errors import SERVICE
from ledgerlink.connectors.infor.inputs import (
    BatchOrderHead,
    BatchOrderLine,
    CustomerBasicData,
    CustomerFinancial,
    CustomerOrderInfo,
    JournalLine,
    M3Input,
    NewCustomer,
    StatementDetail,
    StatementHead,
    StatementLine,
)
from ledgerlink.connectors.infor.programs import Customers
from ledgerlink.connectors.infor.records import (
    PAID_RECONCILIATION_CODE,
    BatchHead,
    StatementJob,
)
from ledgerlink.connectors.infor.values import (
    format_date,
    parse_date,
    parse_decimal,
    trim,
)
from ledgerlink.errors import ConfigurationError, Conflict, ValidationFailed
from reverse_etl.operations import Operation, WriteResult

InputT = TypeVar("InputT", bound=M3Input)
M3Record = dict[str, str]

# ARS200MI transaction codes: the invoice's own open item, and a payment booked against it.
AR_INVOICE = "10"
AR_PAYMENT = "20"


class UnfinishedInM3(Conflict):
    """M3 holds a half-entered record that this writer cannot safely complete: a person finishes
    or removes it in M3, then replays the dead letter."""

    def __init__(self, message: str) -> None:
        super().__init__(SERVICE, message)


# --- inputs: the connector's models, checked before anything is sent ----------------------------
class JournalBatchHead(M3Input):
    """GLS840MI/AddBatchHead. The connector's `add_batch_head` takes plain arguments, so the head
    has no input model there. This one gives it the same contract check as the other inputs."""

    transaction = ("GLS840MI", "AddBatchHead")
    batch_key: str = Field(alias="KEY1")
    interface: str = Field(alias="INTN")
    description: str = Field(alias="DESC")
    division: str | None = Field(None, alias="DIVI")


class JournalLineInput(JournalLine):
    """A GLS840MI journal line where ACAM may be empty. The contract makes ACAM optional, and a
    foreign-currency expense sends only CUAM, which M3 converts at its own rate."""

    amount: Decimal | None = Field(None, alias="ACAM")  # type: ignore[assignment]

    def problems(self) -> list[str]:
        problems = super().problems()
        if self.amount is None and self.foreign_amount is None:
            problems.append("ACAM or CUAM is required")
        return problems


def _is_date(annotation: Any) -> bool:
    return annotation is date or date in get_args(annotation)


def _problem(model: type[M3Input], error: ErrorDetails) -> str:
    code = str(error["loc"][0]) if error["loc"] else "record"
    if error["type"] == "missing":
        return f"{code} is required"
    if error["type"] == "extra_forbidden":
        program, transaction = model.transaction
        return f"{code} is not an input of {program}/{transaction}"
    message = error["msg"][:1].lower() + error["msg"][1:]
    return f"{code} is not valid ({message}), got {error['input']!r}"


def build_input(model: type[InputT], values: Mapping[str, Any], *, where: str = "") -> InputT:
    """The connector's input model built from payload values (None = not sent). Raises
    `M3InputRejected` (a `ValidationFailed`) naming each field M3 would refuse."""
    given = {code: value for code, value in values.items() if value is not None}
    problems: list[str] = []
    for name, info in model.model_fields.items():
        code = info.alias or name
        # pydantic reads a YYYYMMDD string as a Unix timestamp: M3 dates are parsed here.
        if isinstance(given.get(code), str) and _is_date(info.annotation):
            try:
                given[code] = parse_date(given[code])
            except ValueError:
                problems.append(f"{code} is not a date (YYYYMMDD), got {given[code]!r}")
    if not problems:
        try:
            data = model.model_validate(given)
        except ValidationError as exc:
            problems = [_problem(model, error) for error in exc.errors()]
        else:
            problems = data.problems()
            if not problems:
                return data
    raise M3InputRejected(*model.transaction, [problem + where for problem in problems])


def json_lines(op: Operation, model: type[M3Input]) -> list[dict[str, Any]]:
    """The `lines` column (a JSON array of M3 records), with numbers read as Decimal."""
    raw = op.value("lines")
    try:
        lines = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else raw or []
    except json.JSONDecodeError as exc:
        raise M3InputRejected(*model.transaction, [f"lines is not JSON: {exc}"]) from None
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise M3InputRejected(*model.transaction, ["lines must be a JSON array of objects"])
    return lines


def _values(op: Operation, codes: tuple[str, ...]) -> dict[str, Any]:
    return {code: op.value(code) for code in codes}


def _same(wanted: object, current: object) -> bool:
    """Whether M3 already holds the value: text ignoring case and padding, numbers by value."""
    a, b = trim(wanted), trim(current)
    if a.casefold() == b.casefold():
        return True
    try:
        x, y = parse_decimal(a), parse_decimal(b)
    except ValueError:
        return False
    return x is not None and x == y


# --- the handlers ---------------------------------------------------------------------------------
class EntityHandler(ABC):
    """Finds and writes one entity. Subclasses name their sync and crosswalk entity."""

    entity: ClassVar[str]  # `entity` of the sync model's rows
    sync: ClassVar[str]  # the sync's name in syncs.yml
    crosswalk_entity: ClassVar[str]  # `entity` of the ops.id_crosswalk rows it records
    freshbooks_id_column: ClassVar[str]  # the row's FreshBooks id, linked to the M3 key
    operations: ClassVar[tuple[str, ...]] = ("create",)

    def __init__(self, client: InforClient) -> None:
        self.client = client
        self.m3 = client.m3

    @abstractmethod
    def find(self, op: Operation) -> WriteResult | None:
        """The record in the target by the row's natural key, or None."""

    @abstractmethod
    def write(self, op: Operation, parent_ids: dict[str, str]) -> WriteResult:
        """Create, update or void the record in the target."""

    def check(self, op: Operation) -> None:
        """Refuse an operation this entity does not take, or a row meant for another company."""
        if op.operation not in self.operations:
            raise ValidationFailed(
                SERVICE,
                f"{self.entity} {op.natural_key}: operation {op.operation!r} is not written to "
                f"Infor (only {' and '.join(self.operations)})",
                field="operation",
            )
        for column, configured in (("CONO", self.m3.cono), ("DIVI", self.m3.divi)):
            planned = trim(op.value(column))
            if planned and configured and planned != configured:
                raise ConfigurationError(
                    f"infor: {self.entity} {op.natural_key} is planned for {column} {planned} "
                    f"but the client writes to {configured}: the sync models were built with "
                    f"another INFOR_{column}; run `ledgerlink transform` again"
                )

    def result(self, status: str, op: Operation, infor_key: str) -> WriteResult:
        """The outcome with its crosswalk link: the row's FreshBooks id is this M3 key."""
        freshbooks_id = op.value(self.freshbooks_id_column)
        if freshbooks_id is None:
            return WriteResult(status, infor_key)
        account = op.value("account_id")
        link = {
            "entity": self.crosswalk_entity,
            "freshbooks_account_id": str(account) if account is not None else None,
            "freshbooks_id": str(freshbooks_id),
            "infor_company": trim(op.value("CONO")) or self.m3.cono,
            "infor_key": infor_key,
        }
        return WriteResult(status, infor_key, [link])


@dataclass(frozen=True)
class CustomerChange:
    """One CRS610MI Chg transaction: its input, the fields it sets, the Get that shows them."""

    model: type[M3Input]
    fields: tuple[str, ...]
    get: str
    send: Callable[[Customers, Any], None]


BASIC_DATA = CustomerChange(
    CustomerBasicData,
    ("CUNM", "CUA1", "CUA2", "TOWN", "ECAR", "PONO", "CSCD", "PHNO", "MAIL", "YREF", "ALCU"),
    "GetBasicData",
    Customers.change_basic_data,
)
FINANCIAL = CustomerChange(
    CustomerFinancial, ("CUCD", "VRNO", "CRLM", "VTCD"), "GetFinancial", Customers.change_financial
)
ORDER_INFO = CustomerChange(
    CustomerOrderInfo, ("CUCL", "ORTP", "TEPY"), "GetOrderInfo", Customers.change_order_info
)
# Add sets the basic data, so a create needs only the other two changes after it.
CHANGES_AFTER_ADD = (FINANCIAL, ORDER_INFO)
CHANGES_OF_UPDATE = (BASIC_DATA, FINANCIAL, ORDER_INFO)


class CustomerHandler(EntityHandler):
    """CRS610MI. A create runs Add, then ChgFinancial and ChgOrderInfo. An update runs the Chg
    transactions whose fields differ in M3."""

    entity = "customers"
    sync = "infor_customers"
    crosswalk_entity = "customer"  # what dbt's customer matching reads back
    freshbooks_id_column = "client_id"
    operations = ("create", "update")
    program = "CRS610MI"

    def find(self, op: Operation) -> WriteResult | None:
        number = self._number(op)
        try:
            changes = self._changes(op)
        except ValidationFailed:
            return None  # `write` refuses the row and says why
        read = self._reader(number)
        if read("GetBasicData") is None or self._pending(changes, read):
            return None
        return self.result("unchanged", op, number)

    def write(self, op: Operation, parent_ids: dict[str, str]) -> WriteResult:
        number = self._number(op)
        new = None
        if op.operation == "create":
            values = {"CUNO": number, "CUTM": op.value("CUTM"), **_values(op, BASIC_DATA.fields)}
            new = build_input(NewCustomer, values)
        changes = self._changes(op)
        read = self._reader(number)
        if read("GetBasicData") is None:
            if new is None:
                raise M3NotFound(
                    self.program,
                    "GetBasicData",
                    f"Customer {number} does not exist: nothing to update",
                )
            try:
                self.client.customers.add(new)
            except M3AlreadyExists:
                pass  # an earlier attempt added it and its answer was lost: complete it below
            else:
                self._send(changes)  # the template's values: every change is still to make
                return self.result("created", op, number)
        pending = self._pending(changes, read)
        self._send(pending)
        if not pending:
            return self.result("unchanged", op, number)
        return self.result("created" if new else "updated", op, number)

    def _number(self, op: Operation) -> str:
        return trim(op.value("CUNO")) or op.natural_key

    def _changes(self, op: Operation) -> list[tuple[CustomerChange, M3Input]]:
        """The Chg transactions this row calls for, with their inputs checked."""
        steps = CHANGES_OF_UPDATE if op.operation == "update" else CHANGES_AFTER_ADD
        changes = []
        for step in steps:
            values = _values(op, step.fields)
            if any(value is not None for value in values.values()):
                data = build_input(step.model, {"CUNO": self._number(op), **values})
                changes.append((step, data))
        return changes

    def _reader(self, number: str) -> Callable[[str], M3Record | None]:
        """Reads one CRS610MI Get transaction at most once per call of `find` or `write`."""

        @cache
        def read(transaction: str) -> M3Record | None:
            try:
                return self.m3.execute(self.program, transaction, {"CUNO": number}).record
            except M3NotFound:
                return None

        return read

    @staticmethod
    def _pending(
        changes: list[tuple[CustomerChange, M3Input]], read: Callable[[str], M3Record | None]
    ) -> list[tuple[CustomerChange, M3Input]]:
        """The changes whose values M3 does not hold yet."""
        pending = []
        for step, data in changes:
            current = read(step.get) or {}
            wanted = {code: value for code, value in data.to_record().items() if code != "CUNO"}
            if not all(_same(value, current.get(code)) for code, value in wanted.items()):
                pending.append((step, data))
        return pending

    def _send(self, changes: list[tuple[CustomerChange, M3Input]]) -> None:
        for step, data in changes:
            step.send(self.client.customers, data)


ORDER_HEAD_FIELDS = ("CUOR", "ORTP", "FACI", "WHLO", "ORDT", "RLDT", "CUCD")


class CustomerOrderHandler(EntityHandler):
    """OIS100MI batch entry: AddBatchHead, one AddBatchLine per line, then Confirm.

    An unconfirmed batch head with the order's CUOR is completed, never entered again: its lines
    are read (LstBatchLine), the missing ones are added, and the batch is confirmed. If its lines
    are not a prefix of the planned ones, the writer raises `UnfinishedInM3` and does not guess.
    """

    entity = "customer_orders"
    sync = "infor_customer_orders"
    crosswalk_entity = "invoice"
    freshbooks_id_column = "invoice_id"
    program = "OIS100MI"

    def find(self, op: Operation) -> WriteResult | None:
        order_number, _ = self._locate(self._customer(op, {}), self._reference(op))
        return self.result("unchanged", op, order_number) if order_number else None

    def write(self, op: Operation, parent_ids: dict[str, str]) -> WriteResult:
        customer = self._customer(op, parent_ids)
        head, lines = self._inputs(op, customer)
        order_number, batch = self._locate(customer, self._reference(op))
        if order_number:
            return self.result("unchanged", op, order_number)
        orders = self.client.orders
        if batch is None:
            batch_number, entered = orders.add_batch_head(head), 0
        else:
            batch_number = batch.batch_order_number
            entered = self._entered_lines(batch_number, self._reference(op), lines)
        for line in lines[entered:]:
            orders.add_batch_line(batch_number, line)
        return self.result("created", op, orders.confirm(batch_number).order_number)

    def _customer(self, op: Operation, parent_ids: dict[str, str]) -> str:
        parent = parent_ids.get(op.depends_on) if op.depends_on else None
        return parent or trim(op.value("CUNO"))

    def _reference(self, op: Operation) -> str:
        return trim(op.value("CUOR")) or op.natural_key

    def _inputs(self, op: Operation, customer: str) -> tuple[BatchOrderHead, list[BatchOrderLine]]:
        values = {**_values(op, ORDER_HEAD_FIELDS), "CUNO": customer}
        if not trim(values["CUOR"]):
            raise M3InputRejected(
                *BatchOrderHead.transaction, ["CUOR is required: it finds the order again"]
            )
        head = build_input(BatchOrderHead, values)
        lines = [
            build_input(BatchOrderLine, line, where=f" (line {n})")
            for n, line in enumerate(json_lines(op, BatchOrderLine), start=1)
        ]
        if not lines:
            raise M3InputRejected(
                *BatchOrderLine.transaction, ["lines is empty: an order needs at least one line"]
            )
        return head, lines

    def _locate(self, customer: str, reference: str) -> tuple[str | None, BatchHead | None]:
        """(order number, None) when confirmed; (None, open batch) when entered but not
        confirmed; (None, None) when M3 has no order with this CUOR for the customer.

        Only direct reads are used. `SearchHead` finds orders by CUOR too, but it reads the
        search index, which in M3 can lag behind the order tables. A lagging index would hide
        a new order and the retry would enter it twice.
        """
        try:
            heads = [
                head
                for head in self.client.orders.list_batch_heads(customer)
                if head.customer_order_number == reference
            ]
        except M3NotFound:
            return None, None  # the customer is not in M3 (yet), so neither is its order
        confirmed = next((head.order_number for head in heads if head.is_confirmed), None)
        if confirmed:
            return confirmed, None
        if heads:
            return None, heads[0]
        # M3 may have deleted the batch heads of confirmed orders.
        order = self.client.orders.find_by_customer_order_number(customer, reference)
        return (order.order_number if order else None), None

    def _entered_lines(self, batch_number: str, reference: str, lines: list[BatchOrderLine]) -> int:
        """How many of `lines` the open batch already has (they must be its first lines)."""
        result = self.m3.execute(self.program, "LstBatchLine", {"ORNO": batch_number}, maxrecs=0)
        rows = sorted(result.records, key=lambda row: int(row.get("PONR") or 0))
        entered = [(trim(row.get("ITNO")), parse_decimal(row.get("ORQT"))) for row in rows]
        planned = [(line.item_number, line.quantity) for line in lines[: len(entered)]]
        if len(entered) > len(lines) or entered != planned:
            raise UnfinishedInM3(
                f"batch order {batch_number} (CUOR {reference}) was entered with other lines "
                "than the invoice has now: confirm or delete it in M3 (OIS275, or OIS100MI "
                "DelBatchHead), then replay"
            )
        return len(entered)


STATEMENT_HEAD = ("BSTY", "STMN", "BSID", "CUCD")
STATEMENT_LINE = ("BLSN", "BLLF", "CURD", "ACDT", "PYNO", "AIN1", "ABNO")
STATEMENT_DETAIL = ("BLSN", "BLSS", "CINO", "INYR", "BLNF", "IRNO")
# The second detail of a payment that differs from the invoice's open amount: a JSON object of
# AddStatmtDetail fields (BLSN, BLSS, BLBC, BLNF, BLTX), null when there is no difference.
DIFFERENCE_DETAIL = "difference_detail"


@dataclass(frozen=True)
class Receipt:
    """One bank statement with one payment line, the detail that settles the AR invoice, and
    with a payment difference a second detail booked by its business transaction code."""

    head: StatementHead
    line: StatementLine
    detail: StatementDetail
    difference: StatementDetail | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The statement's natural key: the number is unique per bank identifier."""
        return self.head.bank_identifier, self.head.statement_number

    @property
    def settled(self) -> Decimal:
        """What the invoice detail settles, the amount of the AR payment item it books; M3
        takes the line amount when BLNF is left out."""
        if self.detail.net_amount is not None:
            return self.detail.net_amount
        return self.line.amount

    @property
    def details(self) -> tuple[StatementDetail, ...]:
        """The line's details in the order they are added: the invoice's, then a difference."""
        return (self.detail,) if self.difference is None else (self.detail, self.difference)

    @property
    def invoice(self) -> str:
        return f"{self.detail.invoice_number}/{self.detail.invoice_year}"


class CashReceiptHandler(EntityHandler):
    """ABS100MI: AddStatmtHead, AddStatmtLine, AddStatmtDetail (the invoice's, then a payment
    difference's), then ValidateStatmt.

    ABS100MI cannot list statements. A receipt is found by its effect instead: the payment item
    ValidateStatmt books on the AR invoice (ARS200MI), by the fields ARS200MI documents: its
    amount (CUAM) and accounting date (ACDT); never by its free text, which tenants fill
    differently. The item's amount is what the invoice detail settles (BLNF): the amount
    received, or with a payment difference the invoice's open amount, the difference being
    booked elsewhere. Payment items of that amount and day that ledgerlink's other receipts
    booked (`booked_alike`, from the ledger, and those booked in this run) are theirs; one more
    is this receipt's. Before a head is added, the writer checks that the AR invoice is open
    with enough left, so M3's usual refusals come before the head exists. A statement whose
    later step failed is resumed with its job key if this process entered it. Otherwise a retry
    meets "already exists" and raises `UnfinishedInM3`: a person validates or deletes the
    statement in ABS100.
    """

    entity = "cash_receipts"
    sync = "infor_cash_receipts"
    crosswalk_entity = "payment"
    freshbooks_id_column = "payment_id"
    program = "ABS100MI"

    def __init__(self, client: InforClient) -> None:
        super().__init__(client)
        # Job keys of statements entered here and not validated yet: the only way back in.
        self._open_jobs: dict[tuple[str, str], StatementJob] = {}
        # Statements booked or found in this run per (invoice, settled amount, day): the
        # ledger's `booked_alike` lists were read before the run.
        self._booked_here: defaultdict[tuple[str, Decimal, str], set[str]] = defaultdict(set)

    def find(self, op: Operation) -> WriteResult | None:
        try:
            receipt = self._inputs(op)
        except ValidationFailed:
            return None  # `write` refuses the row and says why
        transactions = self._invoice_transactions(receipt)
        if transactions is None or not self._received(op, receipt, transactions):
            return None
        return self._booked(receipt, self.result("unchanged", op, receipt.head.statement_number))

    def write(self, op: Operation, parent_ids: dict[str, str]) -> WriteResult:
        receipt = self._inputs(op)
        transactions = self._invoice_transactions(receipt)
        if transactions is None:
            raise ValidationFailed(
                SERVICE,
                f"AR invoice {receipt.invoice} of payer {receipt.line.payer} is not in Infor "
                "(ARS200MI): the receipt has nothing to settle; check CINO, INYR and PYNO",
                field="CINO",
            )
        if self._received(op, receipt, transactions):
            return self._booked(
                receipt, self.result("unchanged", op, receipt.head.statement_number)
            )
        cash = self.client.cash_receipts
        job = self._open_jobs.get(receipt.key)
        resumed = job is not None
        if job is None:
            self._check_open(receipt, transactions)
            job = self._add_head(receipt)
        self._add(lambda: cash.add_line(job, receipt.line), resumed)
        for detail in receipt.details:
            self._add(partial(cash.add_detail, job, detail), resumed)
        cash.validate(job)
        return self._booked(receipt, self.result("created", op, receipt.head.statement_number))

    def _inputs(self, op: Operation) -> Receipt:
        receipt = Receipt(
            build_input(StatementHead, _values(op, STATEMENT_HEAD)),
            build_input(StatementLine, _values(op, STATEMENT_LINE)),
            build_input(StatementDetail, _values(op, STATEMENT_DETAIL)),
            self._difference(op),
        )
        problems = [
            f"{code} is required: it finds the receipt again in ARS200MI"
            for code, value in (
                ("PYNO", receipt.line.payer),
                ("CINO", receipt.detail.invoice_number),
                ("INYR", receipt.detail.invoice_year),
            )
            if value is None
        ]
        details = receipt.details
        if any(detail.sequence != receipt.line.sequence for detail in details):
            problems.append("BLSN of each detail must be the line's BLSN")
        if len({detail.sub_sequence for detail in details}) < len(details):
            problems.append("BLSS of the difference detail must differ from the invoice detail's")
        # M3 validates a statement only when each line's details add up to it.
        difference = receipt.difference.net_amount if receipt.difference else None
        if receipt.settled + (difference or 0) != receipt.line.amount:
            problems.append(
                f"the details ({receipt.settled} settled, {difference or 0} difference) must "
                f"add up to the line amount BLLF {receipt.line.amount}"
            )
        if problems:
            raise M3InputRejected(*StatementDetail.transaction, problems)
        return receipt

    @staticmethod
    def _difference(op: Operation) -> StatementDetail | None:
        """The payment-difference detail: no invoice, the business transaction code the
        tenant books it by, a non-zero amount."""
        raw = op.value(DIFFERENCE_DETAIL)
        if raw in (None, ""):
            return None
        where = " (payment difference detail)"
        try:
            values = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else raw
        except ValueError:
            values = None
        if not isinstance(values, dict):
            problem = f"{DIFFERENCE_DETAIL} must be a JSON object, got {raw!r}"
            raise M3InputRejected(*StatementDetail.transaction, [problem])
        detail = build_input(StatementDetail, values, where=where)
        problems = []
        if not detail.business_code:
            problems.append("BLBC is required: the code the tenant books the difference by")
        if not detail.net_amount:
            problems.append("BLNF must be a non-zero amount")
        if detail.invoice_number:
            problems.append("CINO must be empty: the difference settles no invoice")
        if problems:
            raise M3InputRejected(*StatementDetail.transaction, [p + where for p in problems])
        return detail

    def _invoice_transactions(self, receipt: Receipt) -> list[M3Record] | None:
        """Every AR transaction (invoice and payments) of the receipt's invoice, or None when
        the payer has no such invoice."""
        payer = receipt.line.payer
        number, year = receipt.detail.invoice_number, str(receipt.detail.invoice_year)
        try:
            items = self.m3.execute("ARS200MI", "LstInvByDivi", {"PYNO": payer}, maxrecs=0).records
        except M3NotFound:  # M3 knows no such payer: nothing to settle (`write` says so)
            return None
        invoice = next(
            (
                item
                for item in items
                if (item.get("CINO"), item.get("INYR"), item.get("TRCD"))
                == (number, year, AR_INVOICE)
            ),
            None,
        )
        if invoice is None:
            return None
        record = {
            "PYNO": invoice.get("PYNO") or payer,
            "CUNO": invoice.get("CUNO"),
            "CINO": number,
            "INYR": year,
        }
        return list(self.m3.execute("ARS200MI", "LstInvoiceTrans", record, maxrecs=0).records)

    def _received(self, op: Operation, receipt: Receipt, transactions: list[M3Record]) -> bool:
        """Whether the invoice carries this receipt's payment item: more items of the amount it
        settles and its accounting day than ledgerlink's other receipts account for."""
        day = format_date(receipt.line.accounting_date or receipt.line.value_date)
        items = sum(
            1
            for item in transactions
            if item.get("TRCD") == AR_PAYMENT
            and abs(parse_decimal(item.get("CUAM")) or Decimal(0)) == receipt.settled
            and item.get("ACDT") == day
        )
        statement = receipt.head.statement_number
        this_run = self._booked_here[self._booking(receipt)]
        if statement in this_run:
            return True
        booked = {s for s in (op.value("booked_alike") or "").split(",") if s}
        return items > len((booked | this_run) - {statement})

    def _booked(self, receipt: Receipt, result: WriteResult) -> WriteResult:
        self._open_jobs.pop(receipt.key, None)
        self._booked_here[self._booking(receipt)].add(receipt.head.statement_number)
        return result

    @staticmethod
    def _booking(receipt: Receipt) -> tuple[str, Decimal, str]:
        day = format_date(receipt.line.accounting_date or receipt.line.value_date)
        return receipt.invoice, receipt.settled, day

    @staticmethod
    def _check_open(receipt: Receipt, transactions: list[M3Record]) -> None:
        """Refuse, before a statement exists, a receipt M3 would refuse at detail or validation."""
        if any(
            item.get("TRCD") == AR_INVOICE and item.get("RECO") == PAID_RECONCILIATION_CODE
            for item in transactions
        ):
            raise ValidationFailed(
                SERVICE,
                f"AR invoice {receipt.invoice} is already paid in Infor (RECO 9) by another "
                "receipt: settle the payment in Infor AR by hand",
                field="CINO",
            )
        remaining = sum(
            (parse_decimal(item.get("CUAM")) or Decimal(0) for item in transactions), Decimal(0)
        )
        if receipt.settled > remaining:
            raise ValidationFailed(
                SERVICE,
                f"the receipt settles {receipt.settled} but only {remaining} is still open on "
                f"AR invoice {receipt.invoice}: settle the payment in Infor AR by hand",
                field="BLNF",
            )

    def _add_head(self, receipt: Receipt) -> StatementJob:
        bank, number = receipt.key
        try:
            job = self.client.cash_receipts.add_head(receipt.head)
        except M3AlreadyExists:
            raise UnfinishedInM3(
                f"bank statement {number} of {bank} is in M3 but its payment is not on AR "
                f"invoice {receipt.invoice}, and ABS100MI cannot read a statement's job number: "
                "validate or delete the statement in ABS100, then replay"
            ) from None
        self._open_jobs[receipt.key] = job
        return job

    @staticmethod
    def _add(step: Callable[[], None], resumed: bool) -> None:
        """Add a line or detail. On a resumed statement, an "already exists" means an earlier
        attempt added it."""
        try:
            step()
        except M3AlreadyExists:
            if not resumed:
                raise


JOURNAL_HEAD = ("KEY1", "INTN", "DESC", "DIVI")


def _batch_key(voucher_text: str | None) -> str:
    """The batch key that leads a voucher text written by the GL journal sync."""
    words = (voucher_text or "").split()
    return words[0] if words else ""


def _journal_problems(key: str, lines: list[JournalLineInput]) -> list[str]:
    """A journal M3 would refuse or that could not be found again: lines must balance per
    voucher (GRNR) and every voucher text must start with the batch key."""
    problems = []
    if not lines:
        problems.append("lines is empty: a journal needs a debit and a credit line")
    numbers = [line.line for line in lines]
    if len(set(numbers)) != len(numbers):
        problems.append(f"LINE numbers repeat ({numbers}): each line needs its own")
    debit: defaultdict[str, Decimal] = defaultdict(Decimal)
    credit: defaultdict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if _batch_key(line.voucher_text) != key:
            problems.append(
                f"VTXT must start with the batch key {key} (line {line.line}): "
                "it is how the posted voucher is found again"
            )
        amount = line.foreign_amount if line.foreign_amount is not None else line.amount
        amount = amount or Decimal(0)
        side = line.debit_credit or ("D" if amount >= 0 else "C")
        group = line.group or ""
        if side == "D":
            debit[group] += abs(amount)
        else:
            credit[group] += abs(amount)
    for group in sorted(set(debit) | set(credit)):
        if debit[group] != credit[group]:
            problems.append(
                f"lines do not balance in voucher group {group or '(none)'}: "
                f"debit {debit[group]}, credit {credit[group]}"
            )
    return problems


class GlJournalHandler(EntityHandler):
    """GLS840MI: AddBatchHead, AddBatchLineFld per line, CtrlBatch, UpdBatch.

    GLS840MI cannot read a batch back, so `find` looks for the posted voucher (GLS200MI
    LstVouchersByDt over the lines' dates) whose voucher text starts with KEY1. An earlier
    attempt that opened the batch without posting it shows as "already exists" on
    AddBatchHead. The write then adds the lines the batch lacks (a LINE M3 already has is kept
    as entered), controls the batch and posts it.
    """

    entity = "gl_journals"
    sync = "infor_gl_journals"
    crosswalk_entity = "expense"
    freshbooks_id_column = "expense_id"

    def find(self, op: Operation) -> WriteResult | None:
        try:
            head, lines = self._inputs(op)
        except ValidationFailed:
            return None  # `write` refuses the row and says why
        if not self._posted(head, lines):
            return None
        return self.result("unchanged", op, head.batch_key)

    def write(self, op: Operation, parent_ids: dict[str, str]) -> WriteResult:
        head, lines = self._inputs(op)
        if self._posted(head, lines):
            return self.result("unchanged", op, head.batch_key)
        ledger = self.client.general_ledger
        key = head.batch_key
        try:
            ledger.add_batch_head(key, head.interface, head.description, division=head.division)
            resumed = False
        except M3AlreadyExists:
            resumed = True  # opened by an earlier attempt that did not post it
        for line in lines:
            try:
                ledger.add_batch_line(key, line)
            except M3AlreadyExists:
                if not resumed:
                    raise
        ledger.control_batch(key)
        ledger.update_batch(key)
        return self.result("created", op, key)

    def _inputs(self, op: Operation) -> tuple[JournalBatchHead, list[JournalLineInput]]:
        head = build_input(JournalBatchHead, _values(op, JOURNAL_HEAD))
        lines = [
            build_input(JournalLineInput, line, where=f" (line {n})")
            for n, line in enumerate(json_lines(op, JournalLineInput), start=1)
        ]
        problems = _journal_problems(head.batch_key, lines)
        if problems:
            raise M3InputRejected(*JournalLineInput.transaction, problems)
        return head, lines

    def _posted(self, head: JournalBatchHead, lines: list[JournalLineInput]) -> bool:
        days = [line.accounting_date for line in lines]
        vouchers = self.client.general_ledger.vouchers_between(min(days), max(days))
        return any(_batch_key(voucher.voucher_text) == head.batch_key for voucher in vouchers)


# --- the writer -----------------------------------------------------------------------------------
HANDLERS: tuple[type[EntityHandler], ...] = (
    CustomerHandler,
    CustomerOrderHandler,
    CashReceiptHandler,
    GlJournalHandler,
)


class InforWriter:
    """The reverse-ETL `Writer` for Infor M3: each operation goes to its entity's handler."""

    def __init__(self, client: InforClient) -> None:
        self.client = client
        handlers = [handler(client) for handler in HANDLERS]
        self.handlers: dict[str, EntityHandler] = {
            name: handler for handler in handlers for name in (handler.entity, handler.sync)
        }

    def find(self, op: Operation) -> WriteResult | None:
        """The record by its natural key, `unchanged` when M3 holds all of it; else None."""
        handler = self._handler(op)
        handler.check(op)
        return handler.find(op)

    def write(self, op: Operation, parent_ids: dict[str, str]) -> WriteResult:
        """Write the record, or complete what an earlier attempt left half done."""
        handler = self._handler(op)
        handler.check(op)
        return handler.write(op, parent_ids)

    def _handler(self, op: Operation) -> EntityHandler:
        handler = self.handlers.get(op.entity) or self.handlers.get(op.sync.name)
        if handler is None:
            raise ConfigurationError(
                f"infor: no writer for entity {op.entity!r} (sync {op.sync.name}); the Infor "
                "writer takes customers, customer_orders, cash_receipts and gl_journals"
            )
        return handler
