"""Infor customer orders (OIS100MI batch entry): found by their CUOR, entered once, completed."""

from __future__ import annotations

from collections.abc import Mapping

from ledgerlink.connectors.infor import M3InputRejected, M3NotFound
from ledgerlink.connectors.infor.inputs import BatchOrderHead, BatchOrderLine
from ledgerlink.connectors.infor.records import BatchHead
from ledgerlink.connectors.infor.values import trim
from reverse_etl.operations import Operation, WriteResult
from reverse_etl.writers.infor.handler import InforHandler, UnfinishedInM3
from reverse_etl.writers.infor.inputs import build_input, json_lines, transaction_values


class CustomerOrderHandler(InforHandler):
    """OIS100MI batch entry: AddBatchHead, one AddBatchLine per line, then Confirm.

    An unconfirmed batch head with the order's CUOR is completed, never entered again: its lines
    are read (LstBatchLine), the missing ones are added, and the batch is confirmed. If its lines
    are not a prefix of the planned ones, the writer raises `UnfinishedInM3` and does not guess.
    """

    entity = "customer_orders"
    sync = "infor_customer_orders"
    crosswalk_entity = "invoice"
    freshbooks_id_column = "invoice_id"

    def find(self, op: Operation) -> WriteResult | None:
        order_number, _ = self._locate(self._customer(op, {}), self._reference(op))
        return self.result("unchanged", op, order_number) if order_number else None

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
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

    def _customer(self, op: Operation, parent_ids: Mapping[str, str]) -> str:
        parent = parent_ids.get(op.depends_on) if op.depends_on else None
        return parent or trim(op.value("CUNO"))

    def _reference(self, op: Operation) -> str:
        return trim(op.value("CUOR")) or op.natural_key

    def _inputs(self, op: Operation, customer: str) -> tuple[BatchOrderHead, list[BatchOrderLine]]:
        values = {**transaction_values(op, BatchOrderHead), "CUNO": customer}
        if not trim(values.get("CUOR")):
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
        rows = self.client.orders.list_batch_lines(batch_number)
        rows.sort(key=lambda row: row.line_number or 0)
        entered = [(row.item_number or "", row.ordered_quantity) for row in rows]
        planned = [(line.item_number, line.quantity) for line in lines[: len(entered)]]
        if len(entered) > len(lines) or entered != planned:
            raise UnfinishedInM3(
                f"batch order {batch_number} (CUOR {reference}) was entered with other lines "
                "than the invoice has now: confirm or delete it in M3 (OIS275, or OIS100MI "
                "DelBatchHead), then replay"
            )
        return len(entered)
