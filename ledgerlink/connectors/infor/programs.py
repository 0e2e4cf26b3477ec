"""Typed wrappers for the M3 programs the flows use: one class per business area."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from ledgerlink.connectors.infor.errors import SERVICE, M3NotFound
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
from ledgerlink.connectors.infor.m3 import M3Client, M3Result
from ledgerlink.connectors.infor.records import (
    BatchHead,
    BatchLineAdded,
    ConfirmedOrder,
    Customer,
    DeliveryLine,
    GlAccount,
    Item,
    M3Record,
    OrderHead,
    OrderLine,
    ReceivableItem,
    ServerTime,
    StatementJob,
    Supplier,
    VoucherLine,
)
from ledgerlink.connectors.infor.values import format_date, format_timestamp
from ledgerlink.errors import MalformedResponse

R = TypeVar("R", bound=M3Record)
# A record as M3 answers it, field code -> value: what a writer compares, field by field, with an
# input's `to_record()` to see whether M3 already holds what the input would set.
M3Fields = dict[str, str]

# Lists that page by start key: (program, transaction) -> the key field, unique in list order.
# Extractors use these with `M3Client.list_all`.
PAGED_LISTS: dict[tuple[str, str], str] = {
    ("CRS610MI", "LstByNumber"): "CUNO",
    ("MMS200MI", "LstItmByItm"): "ITNO",
    ("CRS630MI", "LstAccountID"): "AITM",
    ("OIS350MI", "LstInvHead"): "IVNO",
}
# Reference order category of a customer order in MWS410MI/MWS411MI.
CUSTOMER_ORDER_CATEGORY = 3
# Lists without a start key are read whole: maxrecs 0 is "unlimited" in M3.
UNLIMITED = 0


def lmts_filter(since: datetime | int | str | None) -> str | None:
    """An `LMTS` input: an aware datetime is converted, a value read from M3 is passed through."""
    if since is None:
        return None
    if isinstance(since, datetime):
        return format_timestamp(since)
    return str(since)


class _Program:
    program: str

    def __init__(self, m3: M3Client) -> None:
        self.m3 = m3

    def server_time(self) -> ServerTime:
        """M3's clock (GetServerTime): read it *before* a list to get the next `LMTS` cursor."""
        result = self._run("GetServerTime")
        return ServerTime.from_m3(result.record, source=f"{self.program}/GetServerTime")

    def _run(
        self, transaction: str, record: Mapping[str, object] | None = None, **kw: Any
    ) -> M3Result:
        return self.m3.execute(self.program, transaction, record, **kw)

    def _get(self, model: type[R], transaction: str, record: Mapping[str, object]) -> R | None:
        """A Get transaction's record, or None when M3 says it does not exist."""
        try:
            result = self._run(transaction, record)
        except M3NotFound:
            return None
        first = result.first()
        return model.from_m3(first, source=f"{self.program}/{transaction}") if first else None

    def _fields(self, transaction: str, record: Mapping[str, object]) -> M3Fields | None:
        """A Get transaction's record as M3 answers it, or None when it does not exist."""
        try:
            return self._run(transaction, record).record
        except M3NotFound:
            return None

    def _list(
        self,
        model: type[R],
        transaction: str,
        record: Mapping[str, object],
        *,
        program: str | None = None,
    ) -> list[R]:
        """A list transaction read whole (maxrecs 0): for lists without a start key to page on."""
        program = program or self.program
        result = self.m3.execute(program, transaction, record, maxrecs=UNLIMITED)
        return [model.from_m3(r, source=f"{program}/{transaction}") for r in result.records]

    def _write(self, data: M3Input, extra: Mapping[str, object] | None = None) -> M3Result:
        program, transaction = data.transaction
        return self.m3.execute(program, transaction, {**(extra or {}), **data.to_record()})


def _output(result: M3Result, field: str) -> str:
    """A field a write must answer with (the new key); its absence is a malformed answer."""
    value = result.record.get(field)
    if not value:
        raise MalformedResponse(
            SERVICE, f"{result.program}/{result.transaction} answered without {field}", field=field
        )
    return value


class Customers(_Program):
    """CRS610MI customer master."""

    program = "CRS610MI"

    def get(self, customer_number: str) -> Customer | None:
        return self._get(Customer, "GetBasicData", {"CUNO": customer_number})

    def records(
        self,
        *,
        changed_since: datetime | int | str | None = None,
        start: str | None = None,
        page_size: int = 100,
    ) -> Iterator[dict[str, str]]:
        """Raw LstByNumber records in customer-number order, changed since `LMTS` when given."""
        record = {"CUNO": start, "LMTS": lmts_filter(changed_since)}
        return self.m3.list_all(self.program, "LstByNumber", "CUNO", record, page_size)

    def list_customers(
        self,
        *,
        changed_since: datetime | int | str | None = None,
        start: str | None = None,
        page_size: int = 100,
    ) -> Iterator[Customer]:
        """Typed `records(...)`."""
        rows = self.records(changed_since=changed_since, start=start, page_size=page_size)
        for record in rows:
            yield Customer.from_m3(record, source="CRS610MI/LstByNumber")

    def get_basic_data(self, customer_number: str) -> M3Fields | None:
        """GetBasicData as M3 answers it: what Add and ChgBasicData set."""
        return self._fields("GetBasicData", {"CUNO": customer_number})

    def get_financial(self, customer_number: str) -> M3Fields | None:
        """GetFinancial as M3 answers it: what ChgFinancial sets."""
        return self._fields("GetFinancial", {"CUNO": customer_number})

    def get_order_info(self, customer_number: str) -> M3Fields | None:
        """GetOrderInfo as M3 answers it: what ChgOrderInfo sets."""
        return self._fields("GetOrderInfo", {"CUNO": customer_number})

    def add(self, customer: NewCustomer) -> str:
        """Create the customer; returns its number. An existing CUNO raises `M3AlreadyExists`."""
        return _output(self._write(customer), "CUNO")

    def change_basic_data(self, change: CustomerBasicData) -> None:
        self._write(change)

    def change_financial(self, change: CustomerFinancial) -> None:
        self._write(change)

    def change_order_info(self, change: CustomerOrderInfo) -> None:
        self._write(change)


class CustomerOrders(_Program):
    """OIS100MI customer orders: batch entry (head, lines, confirm) and reads."""

    program = "OIS100MI"

    def add_batch_head(self, head: BatchOrderHead) -> str:
        """Returns the *temporary* batch order number; `confirm` turns it into a real order."""
        return _output(self._write(head), "ORNO")

    def add_batch_line(self, batch_order_number: str, line: BatchOrderLine) -> BatchLineAdded:
        result = self._write(line, {"ORNO": batch_order_number})
        return BatchLineAdded.from_m3(result.record, source="OIS100MI/AddBatchLine")

    def confirm(
        self, batch_order_number: str, confirmation_type: str | None = None
    ) -> ConfirmedOrder:
        result = self._run("Confirm", {"ORNO": batch_order_number, "CTYP": confirmation_type})
        return ConfirmedOrder.from_m3(result.record, source="OIS100MI/Confirm")

    def create(self, head: BatchOrderHead, lines: Iterable[BatchOrderLine]) -> ConfirmedOrder:
        """Head, every line, then confirm: the whole batch entry for one order."""
        batch = self.add_batch_head(head)
        for line in lines:
            self.add_batch_line(batch, line)
        return self.confirm(batch)

    def list_heads(
        self, customer_number: str, *, status_from: str | None = None, status_to: str | None = None
    ) -> list[OrderHead]:
        record = {"CUNO": customer_number, "ORSL": status_from, "ORST": status_to}
        return self._list(OrderHead, "LstHead", record)

    def list_lines(self, order_number: str) -> list[OrderLine]:
        lines = self._list(OrderLine, "LstLine", {"ORNO": order_number})
        return [line.model_copy(update={"order_number": order_number}) for line in lines]

    def find_by_customer_order_number(
        self, customer_number: str, customer_order_number: str
    ) -> OrderHead | None:
        """The customer's confirmed order whose CUOR is `customer_order_number`."""
        wanted = customer_order_number.strip()
        for head in self.list_heads(customer_number):
            if head.customer_order_number == wanted:
                return head
        return None

    def list_batch_heads(self, customer_number: str) -> list[BatchHead]:
        """Every batch-entry head of the customer, confirmed (ORNR set) or still open."""
        return self._list(BatchHead, "LstBatchHead", {"CUNO": customer_number})

    def list_batch_lines(self, batch_order_number: str) -> list[OrderLine]:
        """The lines entered on a batch order so far (LstBatchLine), confirmed or not."""
        return self._list(OrderLine, "LstBatchLine", {"ORNO": batch_order_number})


class Deliveries(_Program):
    """MWS411MI delivery lines of customer orders."""

    program = "MWS411MI"

    def lines_for_order(
        self, order_number: str, *, category: int = CUSTOMER_ORDER_CATEGORY
    ) -> list[DeliveryLine]:
        return self._list(DeliveryLine, "LstDelLnByOrd", {"RORC": category, "RIDN": order_number})


class Receivables(_Program):
    """ARS200MI customer open items (AR ledger); paid when reconciled (RECO 9)."""

    program = "ARS200MI"

    def list_for_customer(
        self, customer_number: str, *, open_only: bool = False, invoice_date: date | None = None
    ) -> list[ReceivableItem]:
        record = {
            "CUNO": customer_number,
            "AAC0": 1 if open_only else None,
            "IVDT": invoice_date,
        }
        items = self._list(ReceivableItem, "LstInvoices", record)
        return [
            i.model_copy(update={"customer_number": i.customer_number or customer_number})
            for i in items
        ]

    def find_invoice(self, customer_number: str, invoice_number: str) -> list[ReceivableItem]:
        """The AR items (open or reconciled) of one invoice (CINO) of the customer."""
        wanted = invoice_number.strip()
        return [i for i in self.list_for_customer(customer_number) if i.invoice_number == wanted]

    def list_for_payer(self, payer: str) -> list[ReceivableItem]:
        """The AR invoices of the division that `payer` pays (LstInvByDivi); `M3NotFound` when
        M3 knows no such payer."""
        return self._list(ReceivableItem, "LstInvByDivi", {"PYNO": payer})

    def invoice_transactions(
        self, payer: str, customer_number: str | None, invoice_number: str, year: int
    ) -> list[ReceivableItem]:
        """Every AR transaction of one invoice (LstInvoiceTrans): its own item and the payments
        booked against it, each with its amount (CUAM) and accounting date (ACDT)."""
        record = {"PYNO": payer, "CUNO": customer_number, "CINO": invoice_number, "INYR": year}
        return self._list(ReceivableItem, "LstInvoiceTrans", record)


class CashReceipts(_Program):
    """ABS100MI bank statements: Infor's recommended way in for customer payments."""

    program = "ABS100MI"

    def add_head(self, head: StatementHead) -> StatementJob:
        result = self._write(head, self._company())
        return StatementJob.from_m3(result.record, source="ABS100MI/AddStatmtHead")

    def add_line(self, job: StatementJob, line: StatementLine) -> None:
        self._write(line, {**self._company(), **job.key()})

    def add_detail(self, job: StatementJob, detail: StatementDetail) -> None:
        self._write(detail, {**self._company(), **job.key()})

    def validate(self, job: StatementJob) -> None:
        self._run("ValidateStatmt", {**self._company(), **job.key()})

    def _company(self) -> dict[str, object]:
        return {"CONO": self.m3.cono, "DIVI": self.m3.divi}


class GeneralLedger(_Program):
    """GLS840MI journal batches (field-based) and GLS200MI read-back."""

    program = "GLS840MI"

    def add_batch_head(
        self, batch_key: str, interface: str, description: str, *, division: str | None = None
    ) -> None:
        record = {
            "CONO": self.m3.cono,
            "KEY1": batch_key,
            "INTN": interface,
            "DESC": description,
            "DIVI": division,
        }
        self._run("AddBatchHead", record)

    def add_batch_line(self, batch_key: str, line: JournalLine) -> None:
        self._write(line, {"KEY1": batch_key})

    def control_batch(self, batch_key: str) -> None:
        """Run option 6: M3 validates the batch (balance, accounts) without posting."""
        self._run("CtrlBatch", {"CONO": self.m3.cono, "KEY1": batch_key})

    def update_batch(self, batch_key: str) -> None:
        """Run option 9: post the batch to the general ledger."""
        self._run("UpdBatch", {"CONO": self.m3.cono, "KEY1": batch_key})

    def post_journal(
        self, batch_key: str, interface: str, description: str, lines: Iterable[JournalLine]
    ) -> None:
        """Head, lines, control, update; the unique `batch_key` (KEY1) is the idempotency key."""
        self.add_batch_head(batch_key, interface, description)
        for line in lines:
            self.add_batch_line(batch_key, line)
        self.control_batch(batch_key)
        self.update_batch(batch_key)

    def vouchers_between(
        self, from_date: date, to_date: date, *, division: str | None = None
    ) -> list[VoucherLine]:
        record = {"FRDT": format_date(from_date), "TODT": format_date(to_date), "DIVI": division}
        return self._list(VoucherLine, "LstVouchersByDt", record, program="GLS200MI")

    def voucher_lines(
        self,
        year: int,
        voucher_number: int,
        *,
        division: str | None = None,
        series: str | None = None,
        journal_number: int | None = None,
    ) -> list[VoucherLine]:
        record = {
            "DIVI": division or self.m3.divi,
            "YEA4": year,
            "VONO": voucher_number,
            "VSER": series,
            "JRNO": journal_number,
        }
        return self._list(VoucherLine, "LstVoucherLines", record, program="GLS200MI")


class ChartOfAccounts(_Program):
    """CRS630MI accounting identities; dimension 1 is the GL account."""

    program = "CRS630MI"

    def list_accounts(self, *, dimension: int = 1, page_size: int = 100) -> Iterator[GlAccount]:
        record = {"AITP": dimension}
        for raw in self.m3.list_all(self.program, "LstAccountID", "AITM", record, page_size):
            yield GlAccount.from_m3(raw, source="CRS630MI/LstAccountID")


class Items(_Program):
    """MMS200MI item master."""

    program = "MMS200MI"

    def records(
        self, *, start: str | None = None, page_size: int = 100
    ) -> Iterator[dict[str, str]]:
        """Raw LstItmByItm records in item-number order (ITNO is the required start key)."""
        record = {"ITNO": start or "0"}
        return self.m3.list_all(self.program, "LstItmByItm", "ITNO", record, page_size)

    def list_items(self, *, start: str | None = None, page_size: int = 100) -> Iterator[Item]:
        for record in self.records(start=start, page_size=page_size):
            yield Item.from_m3(record, source="MMS200MI/LstItmByItm")


class Suppliers(_Program):
    """CRS620MI supplier master."""

    program = "CRS620MI"

    def list_suppliers(
        self,
        *,
        changed_since: datetime | int | str | None = None,
        from_supplier: str | None = None,
        to_supplier: str | None = None,
    ) -> list[Supplier]:
        record = {"FRSU": from_supplier, "TOSU": to_supplier, "LMTS": lmts_filter(changed_since)}
        return self._list(Supplier, "LstSuppliers", record)
