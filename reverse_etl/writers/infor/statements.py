"""What a cash receipt row becomes in ABS100MI: one bank statement, checked before it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from ledgerlink.connectors.infor import M3InputRejected
from ledgerlink.connectors.infor.inputs import StatementDetail, StatementHead, StatementLine
from reverse_etl.operations import Operation
from reverse_etl.writers.infor.inputs import build_input, transaction_values

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


def receipt_from(op: Operation) -> Receipt:
    """The row's statement, refused (`M3InputRejected`) when M3 would refuse it or when it could
    not be found again."""
    receipt = Receipt(
        build_input(StatementHead, transaction_values(op, StatementHead)),
        build_input(StatementLine, transaction_values(op, StatementLine)),
        build_input(StatementDetail, transaction_values(op, StatementDetail)),
        difference_detail(op),
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


def difference_detail(op: Operation) -> StatementDetail | None:
    """The payment-difference detail: no invoice, the business transaction code the tenant
    books it by, a non-zero amount."""
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
