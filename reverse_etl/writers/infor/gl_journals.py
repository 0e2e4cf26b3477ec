"""Infor GL journals (GLS840MI batches), found again by the posted voucher's text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from ledgerlink.connectors.infor import M3AlreadyExists, M3InputRejected
from ledgerlink.errors import ValidationFailed
from reverse_etl.operations import Operation, WriteResult
from reverse_etl.writers.infor.handler import InforHandler
from reverse_etl.writers.infor.inputs import (
    JournalBatchHead,
    JournalLineInput,
    build_input,
    json_lines,
    transaction_values,
)


def batch_key(voucher_text: str | None) -> str:
    """The batch key that leads a voucher text written by the GL journal sync."""
    words = (voucher_text or "").split()
    return words[0] if words else ""


def journal_problems(key: str, lines: list[JournalLineInput]) -> list[str]:
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
        if batch_key(line.voucher_text) != key:
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


class GlJournalHandler(InforHandler):
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

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
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
        head = build_input(JournalBatchHead, transaction_values(op, JournalBatchHead))
        lines = [
            build_input(JournalLineInput, line, where=f" (line {n})")
            for n, line in enumerate(json_lines(op, JournalLineInput), start=1)
        ]
        problems = journal_problems(head.batch_key, lines)
        if problems:
            raise M3InputRejected(*JournalLineInput.transaction, problems)
        return head, lines

    def _posted(self, head: JournalBatchHead, lines: list[JournalLineInput]) -> bool:
        days = [line.accounting_date for line in lines]
        vouchers = self.client.general_ledger.vouchers_between(min(days), max(days))
        return any(batch_key(voucher.voucher_text) == head.batch_key for voucher in vouchers)
