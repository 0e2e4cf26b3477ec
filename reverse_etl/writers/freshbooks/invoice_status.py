"""FreshBooks invoice status: the Infor shipment reference in `po_number`, a draft marked sent.

FreshBooks has no "shipped" state, so the Infor delivery reference goes into `po_number` on an
invoice in any state, and a draft is also marked sent (`action_mark_as_sent`), each in its own
PUT, the state change last. The `po_number` PUT is guarded: it goes out only while FreshBooks
still holds what the plan read (a person's edit since then is never overwritten), and an invoice
already sent is never marked sent again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ledgerlink.connectors.freshbooks.errors import SERVICE
from ledgerlink.connectors.freshbooks.models import Invoice
from ledgerlink.errors import Conflict, NotFound
from reverse_etl.operations import BEFORE_VALUES, DIFFERS, Operation, WriteResult
from reverse_etl.writers.base import payload_fields
from reverse_etl.writers.freshbooks.lookup import InvoiceLookup
from reverse_etl.writers.freshbooks.rules import InvoiceStatusFields, invalid, present, validated
from reverse_etl.writers.freshbooks.wire import as_text


def is_sent(invoice: Invoice) -> bool:
    """No longer a draft. `display_status` keeps saying so after payments change `v3_status`."""
    return (invoice.display_status or invoice.v3_status) not in (None, "draft", "created")


class InvoiceStatusHandler(InvoiceLookup):
    """Shipped in Infor -> the Infor reference in `po_number`; a draft is then marked sent.

    The planned `po_number` is the whole field: what a person wrote there and the reference
    (the sync model composes it from what FreshBooks held when it was read, `before_values`).
    """

    entity = "invoice_status"
    sync = "freshbooks_invoice_status"
    operations = ("update",)

    def planned(self, op: Operation) -> InvoiceStatusFields:
        what = f"invoice {op.natural_key} status"
        values = present(op.values(payload_fields(op, InvoiceStatusFields)))
        planned = validated(InvoiceStatusFields, values, what)
        if not planned.action_mark_as_sent and planned.po_number is None:
            raise invalid(what, None, "nothing to change (not marked sent, no po_number)")
        return planned

    def current(self, op: Operation) -> Invoice | None:
        """The live invoice the row names: by `invoiceid` (or `onto_existing`'s id), else by
        number; None when FreshBooks has no live invoice there."""
        invoice_id = self.record_id(op, "invoiceid")
        if invoice_id is None:
            return self.by_number(op.natural_key)
        try:
            invoice: Invoice = self.client.get("invoices", invoice_id)  # type: ignore[assignment]
        except NotFound:
            return None
        return None if invoice.deleted else invoice

    @staticmethod
    def has_reference(invoice: Invoice, planned: InvoiceStatusFields) -> bool:
        """Whether `po_number` reads as planned, compared as FreshBooks returns it."""
        return planned.po_number is None or as_text(invoice.po_number) == as_text(planned.po_number)

    def find(self, op: Operation) -> WriteResult | None:
        planned = self.planned(op)
        invoice = self.current(op)
        if invoice is None:
            return None
        done = (not planned.action_mark_as_sent or is_sent(invoice)) and self.has_reference(
            invoice, planned
        )
        return self.result("unchanged" if done else DIFFERS, op, invoice.id)

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        planned = self.planned(op)
        invoice = self.current(op)
        if invoice is None:
            raise self.missing(op, op.natural_key)
        written = False
        # The reference first, the state change last: a crash in between leaves a draft, which
        # the next plan picks up again; the other way round would lose the reference.
        if not self.has_reference(invoice, planned):
            self.check_unchanged_since_read(op, invoice)
            self.client.update("invoices", invoice.id, {"po_number": planned.po_number})
            written = True
        if planned.action_mark_as_sent and not is_sent(invoice):
            self.client.mark_invoice_sent(invoice.id)
            written = True
        return self.result("updated" if written else "unchanged", op, invoice.id)

    @staticmethod
    def check_unchanged_since_read(op: Operation, invoice: Invoice) -> None:
        """Refuse to write `po_number` over an edit made after the plan read it: the planned
        value keeps the text that was there then, not what a person typed since."""
        raw = op.row.get(BEFORE_VALUES)
        before = json.loads(raw) if isinstance(raw, str) and raw else {}
        if "po_number" not in before or as_text(before["po_number"]) == as_text(invoice.po_number):
            return
        raise Conflict(
            SERVICE,
            f"invoice {op.natural_key}: po_number changed in FreshBooks since it was read "
            f"({as_text(before['po_number'])!r} -> {as_text(invoice.po_number)!r}); nothing was "
            "written. The next sync reads it again and keeps the new text",
            code="changed_since_read",
            field="po_number",
        )
