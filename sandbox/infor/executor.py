"""Runs one MI transaction: contract checks, company context, scripted faults, the handler."""

from __future__ import annotations

import threading

from sandbox.infor import errors, lifecycle, mi
from sandbox.infor.company import API_USER, CONO
from sandbox.infor.contract import Contract, Transaction
from sandbox.infor.errors import MIError, RequestError, Unavailable
from sandbox.infor.lifecycle import LifecycleRules
from sandbox.infor.mi import Controls
from sandbox.infor.registry import HANDLERS, Call, Handler
from sandbox.infor.scripted_faults import ScriptedFaults
from sandbox.infor.store import Store


class Executor:
    def __init__(
        self,
        store: Store,
        contract: Contract,
        faults: ScriptedFaults,
        rules: LifecycleRules,
        unsupported: dict[str, int] | None = None,
    ) -> None:
        self.store = store
        self.contract = contract
        self.faults = faults
        self.rules = rules
        self.unsupported = unsupported or {}  # "PROGRAM/TRANSACTION" -> HTTP status
        # One transaction at a time: M3 runs each in its own program instance, and SQLite has
        # one writer; this keeps every transaction's reads and writes consistent.
        self.lock = threading.RLock()

    def resolve(self, program: str, name: str) -> tuple[Transaction, Handler]:
        """The contract and handler of PROGRAM/TRANSACTION, or the 400 a client gets for it
        (the 501 or 404 of a transaction this environment does not offer)."""
        status = self.unsupported.get(f"{program}/{name}")
        if status is not None:
            raise Unavailable(status, program, name)
        if program not in self.contract.programs:
            raise RequestError(errors.UNKNOWN_PROGRAM, f"Program {program} does not exist")
        transaction = self.contract.transaction(program, name)
        if transaction is None:
            raise RequestError(
                errors.UNKNOWN_TRANSACTION,
                f"Transaction {name} does not exist in program {program}",
            )
        handler = HANDLERS.get((program, name))
        if handler is None:
            raise RequestError(
                errors.NOT_AVAILABLE,
                f"Transaction {program}/{name} is not available in this M3 environment",
            )
        return transaction, handler

    def run(
        self,
        program: str,
        name: str,
        record: dict[str, str],
        controls: Controls,
        *,
        bulk: bool = False,
    ) -> tuple[dict, bool]:
        """One result entry for `results[]`, and whether a bulk request must stop after it."""
        transaction, handler = self.resolve(program, name)
        parameters = dict(record) if controls.extendedresult else None
        unknown = mi.unknown_fields(transaction, record)
        if unknown:
            message = mi.unknown_field_message(transaction, unknown[0])
            if not bulk:
                raise RequestError(errors.UNKNOWN_FIELD, message, unknown[0])
            return mi.error_result(
                name, MIError(errors.UNKNOWN_FIELD, message, unknown[0]), parameters
            ), False
        try:
            fields = mi.check_inputs(transaction, record)
            self._check_context(transaction, fields, controls)
            scripted = self.faults.take(program, name, fields)
            if scripted is not None:
                error, terminate = scripted
                return mi.error_result(name, error, parameters), terminate
            with self.lock:
                self._advance_lifecycle()
                call = Call(
                    transaction,
                    fields,
                    self.store,
                    limit=controls.maxrecs,
                    dateformat=controls.dateformat,
                )
                with self.store.db.transaction():
                    records = handler(call)
        except MIError as error:
            return mi.error_result(name, error, parameters), False
        return mi.ok_result(
            name, mi.shape_records(transaction, records, controls), parameters
        ), False

    def _check_context(
        self, transaction: Transaction, fields: dict[str, str], controls: Controls
    ) -> None:
        company = fields.get("CONO") or controls.cono or CONO
        if company.lstrip("0") != CONO:
            raise MIError(errors.COMPANY, f"Not authorized for company {company}", "CONO")
        division = fields.get("DIVI") or controls.divi
        tenant = self.store.tenant
        if division and division != tenant.divi:
            raise tenant.wording.unknown_code("DIVI", "Division", division)

    def _advance_lifecycle(self) -> None:
        if self.rules.ship_after_hours is None and self.rules.invoice_after_hours is None:
            return
        with self.store.db.transaction():
            lifecycle.advance_due(self.store, self.rules, self.store.stamp(), API_USER)
