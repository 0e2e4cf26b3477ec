"""FreshBooks invoices by number: what the invoice and invoice status handlers look up."""

from __future__ import annotations

from ledgerlink.connectors.freshbooks.errors import SERVICE
from ledgerlink.connectors.freshbooks.models import Invoice
from ledgerlink.errors import NotFound
from reverse_etl.operations import Operation
from reverse_etl.writers.freshbooks.handler import FreshBooksHandler


class InvoiceLookup(FreshBooksHandler):
    """Invoices by number (FreshBooks has no idempotency header: the number finds them again)."""

    def by_number(self, number: str, *, deleted: bool = False) -> Invoice | None:
        """The live (active or archived) invoice with this number, or with `deleted` the
        latest deleted one (FreshBooks lists deleted records only when asked)."""
        matches = [
            invoice
            for invoice in self.records(
                "invoices", {"invoice_number": number}, 1 if deleted else None
            )
            if invoice.invoice_number == number
        ]
        if deleted:
            return matches[-1] if matches else None
        return self.only_one(
            matches,
            "invoices",
            f"the number {number}",
            fix="void the extra ones",
            code="ambiguous_invoice",
            field="invoice_number",
        )

    def live_id(self, op: Operation, number: str) -> int:
        """`onto_existing`'s id or the row's `invoiceid`, else the live invoice's by number."""
        invoice_id = self.record_id(op, "invoiceid")
        if invoice_id is not None:
            return invoice_id
        invoice = self.by_number(number)
        if invoice is None:
            raise self.missing(op, number)
        return invoice.id

    @staticmethod
    def missing(op: Operation, number: str) -> NotFound:
        return NotFound(
            SERVICE,
            f"{op.operation} invoice {number}: FreshBooks has no live invoice with that number; "
            "extract FreshBooks and plan again",
            field="invoice_number",
        )
