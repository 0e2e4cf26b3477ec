"""Infor M3 writer: customers, customer orders, cash receipts and GL journals.

Each entity has a handler that looks its record up in M3 by the natural key the sync model names
(CUNO, CUOR, STMN, KEY1) and only then writes. M3 writes take several transactions (Add, then
ChgFinancial; batch head, lines, Confirm). When a write stops halfway, the next attempt finds the
half-done record and adds only the steps it is missing, so nothing is entered twice. `find`
answers `unchanged` only for a complete record, so the runner sends a half-done one to `write`.

Every input is checked against the M3 contract before the first request of an operation goes
out; the fields of each transaction are those `syncs.yml` declares for it. M3 is called through
the connector's typed wrappers only. `OutcomeUnknown` is deliberately not caught here: the runner
leaves the intent pending and calls `find` before the next attempt.
"""

from __future__ import annotations

from ledgerlink.connectors.infor import InforClient
from reverse_etl.writers.base import TargetWriter
from reverse_etl.writers.infor.cash_receipts import CashReceiptHandler
from reverse_etl.writers.infor.customers import CustomerHandler
from reverse_etl.writers.infor.gl_journals import GlJournalHandler
from reverse_etl.writers.infor.handler import InforHandler, UnfinishedInM3
from reverse_etl.writers.infor.inputs import JournalLineInput, build_input
from reverse_etl.writers.infor.orders import CustomerOrderHandler

__all__ = ["InforWriter", "JournalLineInput", "UnfinishedInM3", "build_input"]

HANDLERS: tuple[type[InforHandler], ...] = (
    CustomerHandler,
    CustomerOrderHandler,
    CashReceiptHandler,
    GlJournalHandler,
)


class InforWriter(TargetWriter[InforClient]):
    """The reverse-ETL `Writer` for Infor M3: each operation goes to its entity's handler."""

    target_name = "Infor"

    def __init__(self, client: InforClient) -> None:
        super().__init__(client, [handler(client) for handler in HANDLERS])
