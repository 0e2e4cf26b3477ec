"""Infor customers (CRS610MI): Add, then the Chg transactions whose fields M3 does not hold yet."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ledgerlink.connectors.infor import M3AlreadyExists, M3NotFound
from ledgerlink.connectors.infor.inputs import (
    CustomerBasicData,
    CustomerFinancial,
    CustomerOrderInfo,
    M3Input,
    NewCustomer,
)
from ledgerlink.connectors.infor.programs import Customers, M3Fields
from ledgerlink.connectors.infor.values import trim
from ledgerlink.errors import ValidationFailed
from reverse_etl.operations import Operation, WriteResult
from reverse_etl.writers.infor.handler import InforHandler
from reverse_etl.writers.infor.inputs import build_input, same, transaction_values


@dataclass(frozen=True)
class CustomerChange:
    """One CRS610MI Chg transaction: its input, the transaction syncs.yml lists its fields
    under, the Get that shows what it sets, and its call."""

    model: type[M3Input]
    declared_under: type[M3Input]
    read: Callable[[Customers, str], M3Fields | None]
    send: Callable[[Customers, Any], None]

    def values(self, op: Operation) -> dict[str, Any]:
        """The row's values of the declared fields this transaction sets (the key aside)."""
        sets = {info.alias for info in self.model.model_fields.values()} - {"CUNO"}
        declared = transaction_values(op, self.declared_under)
        return {code: value for code, value in declared.items() if code in sets}


# ChgBasicData changes what Add set: the declared Add fields it takes (all but the template).
BASIC_DATA = CustomerChange(
    CustomerBasicData, NewCustomer, Customers.get_basic_data, Customers.change_basic_data
)
FINANCIAL = CustomerChange(
    CustomerFinancial, CustomerFinancial, Customers.get_financial, Customers.change_financial
)
ORDER_INFO = CustomerChange(
    CustomerOrderInfo, CustomerOrderInfo, Customers.get_order_info, Customers.change_order_info
)
# Add sets the basic data, so a create needs only the other two changes after it.
CHANGES_AFTER_ADD = (FINANCIAL, ORDER_INFO)
CHANGES_OF_UPDATE = (BASIC_DATA, FINANCIAL, ORDER_INFO)

Reader = Callable[[CustomerChange], M3Fields | None]


class CustomerHandler(InforHandler):
    """CRS610MI. A create runs Add, then ChgFinancial and ChgOrderInfo. An update runs the Chg
    transactions whose fields differ in M3."""

    entity = "customers"
    sync = "infor_customers"
    crosswalk_entity = "customer"  # what dbt's customer matching reads back
    freshbooks_id_column = "client_id"
    operations = ("create", "update")

    def find(self, op: Operation) -> WriteResult | None:
        number = self._number(op)
        try:
            changes = self._changes(op)
        except ValidationFailed:
            return None  # `write` refuses the row and says why
        read = self._reader(number)
        if read(BASIC_DATA) is None or self._pending(changes, read):
            return None
        return self.result("unchanged", op, number)

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        number = self._number(op)
        new = None
        if op.operation == "create":
            new = build_input(NewCustomer, {**transaction_values(op, NewCustomer), "CUNO": number})
        changes = self._changes(op)
        read = self._reader(number)
        if read(BASIC_DATA) is None:
            if new is None:
                raise M3NotFound(
                    "CRS610MI",
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
            values = step.values(op)
            if any(value is not None for value in values.values()):
                data = build_input(step.model, {"CUNO": self._number(op), **values})
                changes.append((step, data))
        return changes

    def _reader(self, number: str) -> Reader:
        """Reads each CRS610MI Get transaction at most once per call of `find` or `write`."""

        @cache
        def read(step: CustomerChange) -> M3Fields | None:
            return step.read(self.client.customers, number)

        return read

    @staticmethod
    def _pending(
        changes: list[tuple[CustomerChange, M3Input]], read: Reader
    ) -> list[tuple[CustomerChange, M3Input]]:
        """The changes whose values M3 does not hold yet."""
        pending = []
        for step, data in changes:
            current = read(step) or {}
            wanted = {code: value for code, value in data.to_record().items() if code != "CUNO"}
            if not all(same(value, current.get(code)) for code, value in wanted.items()):
                pending.append((step, data))
        return pending

    def _send(self, changes: list[tuple[CustomerChange, M3Input]]) -> None:
        for step, data in changes:
            step.send(self.client.customers, data)
