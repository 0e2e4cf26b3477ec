"""FreshBooks invoices made from shop orders: created keyed by the invoice number, or voided."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledgerlink.connectors.freshbooks.errors import SERVICE
from ledgerlink.errors import Conflict
from ledgerlink.log import get_logger
from reverse_etl.operations import DIFFERS, Operation, WriteResult
from reverse_etl.writers.base import payload_fields
from reverse_etl.writers.freshbooks.lookup import InvoiceLookup
from reverse_etl.writers.freshbooks.rules import InvoiceFields, invalid, present, validated
from reverse_etl.writers.freshbooks.wire import invoice_body, invoice_differences

log = get_logger("ledgerlink.reverse_etl.freshbooks")

# A 409 for a number no invoice holds is a collision between concurrent creates (nothing was
# created); FreshBooks documents that trying again succeeds. Bounded, and only after a look-up.
CONFLICT_RETRIES = 1
# Declared in the payload, yet no invoice field: a void sends `vis_state` 1 alone in its PUT.
SENT_BY_THE_VOID = ("vis_state",)


class InvoiceNumberTaken(Conflict):
    """Another invoice, with different content, already has this invoice number."""

    def __init__(self, number: str, existing_id: int, differences: list[str]) -> None:
        self.existing_id = existing_id
        self.differences = differences
        super().__init__(
            SERVICE,
            f"invoice number {number} is taken by invoice {existing_id}, which differs in "
            f"{', '.join(differences)}; nothing was created. Check that invoice in FreshBooks: "
            "void or renumber it, or correct the source order, then replay",
            status=409,
            code="invoice_number_taken",
            field="invoice_number",
            details={"invoice_id": existing_id, "differences": differences},
        )


class InvoiceHandler(InvoiceLookup):
    """Invoices (freshbooks_invoices): create, keyed by the invoice number, or void (`vis_state`
    1, sent on its own). A 409 on a create means the number is taken: the invoice holding it is
    read and compared (see `create`)."""

    entity = "invoices"
    sync = "freshbooks_invoices"
    operations = ("create", "update", "void")

    @staticmethod
    def number(op: Operation) -> str:
        return str(op.value("invoice_number") or op.natural_key)

    def planned(self, op: Operation, parent_ids: Mapping[str, str] | None) -> InvoiceFields:
        """The row as FreshBooks' invoice rules see it. With `parent_ids` (a write) a null
        `customerid` is filled from the parent client's new id, and is then required."""
        what = f"invoice {self.number(op)}"
        declared = payload_fields(op, InvoiceFields, sent_otherwise=SENT_BY_THE_VOID)
        data = present(op.values(field for field in declared if field != "lines"))
        data["invoice_number"] = self.number(op)
        lines = self.lines(op, what) if "lines" in declared else None
        if lines is not None:
            data["lines"] = lines
        parent_id = (parent_ids or {}).get(op.depends_on) if op.depends_on else None
        if "customerid" not in data and parent_id is not None:
            data["customerid"] = parent_id
        planned = validated(InvoiceFields, data, what)
        if parent_ids is not None and planned.customerid is None:
            waiting = f" (client {op.depends_on} has no FreshBooks id yet)" if op.depends_on else ""
            raise invalid(what, "customerid", f"customerid: Field required{waiting}")
        return planned

    @staticmethod
    def lines(op: Operation, what: str) -> list[Any] | None:
        raw = op.value("lines")
        if raw in (None, ""):
            return None
        try:
            # Decimal straight from the text: a unit cost never passes through a float.
            lines = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else list(raw)
        except (ValueError, TypeError) as exc:
            raise invalid(what, "lines", f"lines: not a JSON array ({exc})") from None
        if not isinstance(lines, list):
            raise invalid(what, "lines", "lines: not a JSON array")
        return [present(line) if isinstance(line, Mapping) else line for line in lines]

    def find(self, op: Operation) -> WriteResult | None:
        """The invoice with this number, live or else deleted. A void is `unchanged` once the
        invoice is deleted. A create is `unchanged` when the content matches, even if someone
        deleted the invoice since: the planner reads deleted invoices too and would not create
        it again either."""
        planned = None if op.operation == "void" else self.planned(op, None)
        number = self.number(op)
        invoice = self.by_number(number) or self.by_number(number, deleted=True)
        if invoice is None:
            return None
        done = invoice.deleted if planned is None else not invoice_differences(invoice, planned)
        return self.result("unchanged" if done else DIFFERS, op, invoice.id)

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        if op.operation == "void":
            return self.void(op)
        planned = self.planned(op, parent_ids)
        body = invoice_body(planned)
        if op.operation == "create":
            return self.create(op, planned, body)
        invoice_id = self.live_id(op, planned.invoice_number)
        body.pop("invoice_number")  # the key it was found by; never renumber
        return self.result("updated", op, self.client.update("invoices", invoice_id, body).id)

    def create(self, op: Operation, planned: InvoiceFields, body: dict[str, Any]) -> WriteResult:
        """POST the invoice. A 409 says the number is taken: the live invoice with that number
        is read; the same content means it is already there (`unchanged`), other content raises
        `InvoiceNumberTaken`. No invoice with that number means a collision between concurrent
        creates that created nothing: tried again (`CONFLICT_RETRIES`), then a `Conflict`."""
        number = planned.invoice_number
        for attempt in range(1 + CONFLICT_RETRIES):
            try:
                created = self.client.create("invoices", body)
            except Conflict as conflict:
                existing = self.by_number(number)
                if existing is None:
                    log.warning(
                        "invoice number collision, nothing was created",
                        extra={"invoice_number": number, "attempt": attempt + 1},
                    )
                    continue
                differences = invoice_differences(existing, planned)
                if differences:
                    raise InvoiceNumberTaken(number, existing.id, differences) from conflict
                return self.result("unchanged", op, existing.id)
            return self.result("created", op, created.id)
        deleted = self.by_number(number, deleted=True)
        held = (
            f"; deleted invoice {deleted.id} may still hold the number: restore it or renumber"
            if deleted is not None
            else ""
        )
        raise Conflict(
            SERVICE,
            f"create invoice {number}: FreshBooks answered 409 (number exists) "
            f"{1 + CONFLICT_RETRIES} times, yet no live invoice has that number; nothing was "
            f"created, run the sync again later{held}",
            status=409,
            code="invoice_number_conflict",
            field="invoice_number",
        )

    def void(self, op: Operation) -> WriteResult:
        """Soft delete (`vis_state` 1, alone in its PUT); an invoice already deleted is left."""
        number = self.number(op)
        invoice_id = self.record_id(op, "invoiceid")
        if invoice_id is None:
            live = self.by_number(number)
            if live is None:
                deleted = self.by_number(number, deleted=True)
                if deleted is None:
                    raise self.missing(op, number)
                return self.result("unchanged", op, deleted.id)
            invoice_id = live.id
        return self.result("updated", op, self.client.delete("invoices", invoice_id).id)

    def links(self, op: Operation, target_id: str) -> list[dict[str, Any]]:
        """Invoice <-> shop order id, when the row carries it."""
        return [self.link("invoice", target_id, op.value("order_id"))]
