"""Infor cash receipts (ABS100MI bank statements), found again by the payment they book in AR."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from functools import partial

from ledgerlink.connectors.infor import InforClient, M3AlreadyExists, M3NotFound
from ledgerlink.connectors.infor.errors import SERVICE
from ledgerlink.connectors.infor.records import ReceivableItem, StatementJob
from ledgerlink.errors import ValidationFailed
from reverse_etl.operations import Operation, WriteResult
from reverse_etl.writers.infor.handler import InforHandler, UnfinishedInM3
from reverse_etl.writers.infor.statements import Receipt, receipt_from

# ARS200MI transaction codes: the invoice's own open item, and a payment booked against it.
AR_INVOICE = "10"
AR_PAYMENT = "20"


class CashReceiptHandler(InforHandler):
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

    def __init__(self, client: InforClient) -> None:
        super().__init__(client)
        # Job keys of statements entered here and not validated yet: the only way back in.
        self._open_jobs: dict[tuple[str, str], StatementJob] = {}
        # Statements booked or found in this run per (invoice, settled amount, day): the
        # ledger's `booked_alike` lists were read before the run.
        self._booked_here: defaultdict[tuple[str, Decimal, date | None], set[str]] = defaultdict(
            set
        )

    def find(self, op: Operation) -> WriteResult | None:
        try:
            receipt = receipt_from(op)
        except ValidationFailed:
            return None  # `write` refuses the row and says why
        transactions = self._invoice_transactions(receipt)
        if transactions is None or not self._received(op, receipt, transactions):
            return None
        return self._booked(receipt, self.result("unchanged", op, receipt.head.statement_number))

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        receipt = receipt_from(op)
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

    def _invoice_transactions(self, receipt: Receipt) -> list[ReceivableItem] | None:
        """Every AR transaction (invoice and payments) of the receipt's invoice, or None when
        the payer has no such invoice."""
        payer, number = receipt.line.payer, receipt.detail.invoice_number
        year = receipt.detail.invoice_year
        if not (payer and number and year):
            return None  # `receipt_from` refuses such a row: it could not be found again
        receivables = self.client.receivables
        try:
            items = receivables.list_for_payer(payer)
        except M3NotFound:  # M3 knows no such payer: nothing to settle (`write` says so)
            return None
        invoice = next(
            (
                item
                for item in items
                if (item.invoice_number, item.invoice_year, item.transaction_code)
                == (number, year, AR_INVOICE)
            ),
            None,
        )
        if invoice is None:
            return None
        return receivables.invoice_transactions(
            invoice.payer or payer, invoice.customer_number, number, year
        )

    def _received(
        self, op: Operation, receipt: Receipt, transactions: list[ReceivableItem]
    ) -> bool:
        """Whether the invoice carries this receipt's payment item: more items of the amount it
        settles and its accounting day than ledgerlink's other receipts account for."""
        day = receipt.line.accounting_date or receipt.line.value_date
        items = sum(
            1
            for item in transactions
            if item.transaction_code == AR_PAYMENT
            and abs(item.amount or Decimal(0)) == receipt.settled
            and item.accounting_date == day
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
    def _booking(receipt: Receipt) -> tuple[str, Decimal, date | None]:
        day = receipt.line.accounting_date or receipt.line.value_date
        return receipt.invoice, receipt.settled, day

    @staticmethod
    def _check_open(receipt: Receipt, transactions: list[ReceivableItem]) -> None:
        """Refuse, before a statement exists, a receipt M3 would refuse at detail or validation."""
        if any(item.transaction_code == AR_INVOICE and item.is_paid for item in transactions):
            raise ValidationFailed(
                SERVICE,
                f"AR invoice {receipt.invoice} is already paid in Infor (RECO 9) by another "
                "receipt: settle the payment in Infor AR by hand",
                field="CINO",
            )
        remaining = sum((item.amount or Decimal(0) for item in transactions), Decimal(0))
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
