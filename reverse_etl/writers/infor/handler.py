"""What every Infor M3 handler shares: the company check, the refusals and the crosswalk link."""

from __future__ import annotations

from typing import Any, ClassVar

from ledgerlink.connectors.infor import InforClient
from ledgerlink.connectors.infor.errors import SERVICE
from ledgerlink.connectors.infor.values import trim
from ledgerlink.errors import ConfigurationError, Conflict, ValidationFailed
from reverse_etl.operations import Operation
from reverse_etl.writers.base import EntityHandler
from reverse_etl.writers.infor.inputs import COMPANY_FIELDS


class UnfinishedInM3(Conflict):
    """M3 holds a half-entered record that this writer cannot safely complete: a person finishes
    or removes it in M3, then replays the dead letter."""

    def __init__(self, message: str) -> None:
        super().__init__(SERVICE, message)


class InforHandler(EntityHandler[InforClient]):
    """Finds and writes one entity in M3. Subclasses name their sync and crosswalk entity."""

    target_name = "Infor"
    crosswalk_entity: ClassVar[str]  # `entity` of the ops.id_crosswalk rows it records
    freshbooks_id_column: ClassVar[str]  # the row's FreshBooks id, linked to the M3 key

    def refusal(self, op: Operation, field: str | None, problem: str) -> ValidationFailed:
        return ValidationFailed(SERVICE, f"{self.entity} {op.natural_key}: {problem}", field=field)

    def check(self, op: Operation) -> None:
        """Refuse an operation this entity does not take, or a row meant for another company."""
        super().check(op)
        m3 = self.client.m3
        for column, configured in zip(COMPANY_FIELDS, (m3.cono, m3.divi), strict=True):
            planned = trim(op.value(column))
            if planned and configured and planned != configured:
                raise ConfigurationError(
                    f"infor: {self.entity} {op.natural_key} is planned for {column} {planned} "
                    f"but the client writes to {configured}: the sync models were built with "
                    f"another INFOR_{column}; run `ledgerlink transform` again"
                )

    def links(self, op: Operation, target_id: str) -> list[dict[str, Any]]:
        """The row's FreshBooks id is this M3 key."""
        freshbooks_id = op.value(self.freshbooks_id_column)
        if freshbooks_id is None:
            return []
        account = op.value("account_id")
        return [
            {
                "entity": self.crosswalk_entity,
                "freshbooks_account_id": str(account) if account is not None else None,
                "freshbooks_id": str(freshbooks_id),
                "infor_company": trim(op.value("CONO")) or self.client.m3.cono,
                "infor_key": target_id,
            }
        ]
