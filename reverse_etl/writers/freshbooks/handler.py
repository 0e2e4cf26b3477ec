"""What every FreshBooks handler shares: refusals, look-ups by search, and the id it targets."""

from __future__ import annotations

from typing import Any, TypeVar

from ledgerlink.connectors.freshbooks.client import FreshBooksClient, Search
from ledgerlink.connectors.freshbooks.errors import SERVICE
from ledgerlink.connectors.freshbooks.models import FreshBooksRecord
from ledgerlink.errors import Conflict, MalformedResponse, ValidationFailed
from ledgerlink.records import Rejected
from reverse_etl.operations import TARGET_ID, Operation
from reverse_etl.writers.base import EntityHandler
from reverse_etl.writers.freshbooks.rules import invalid

RecordT = TypeVar("RecordT", bound=FreshBooksRecord)


class FreshBooksHandler(EntityHandler[FreshBooksClient]):
    """Finds and writes the records of one FreshBooks sync."""

    target_name = "FreshBooks"

    def refusal(self, op: Operation, field: str | None, problem: str) -> ValidationFailed:
        return invalid(f"{self.entity} {op.natural_key}", field, problem)

    def records(
        self, resource: str, filters: dict[str, Any], vis_state: int | None = None
    ) -> list[Any]:
        """Every record matching `filters` (active and archived, or only `vis_state`)."""
        found = []
        search = Search(vis_state=vis_state, extra=filters)
        for record in self.client.list(resource, search=search):
            if isinstance(record, Rejected):
                raise MalformedResponse(SERVICE, f"{resource}: {record.reason}", details=record)
            found.append(record)
        return found

    def record_id(self, op: Operation, *columns: str) -> int | None:
        """The FreshBooks id a write targets: `onto_existing`'s, else the first id column."""
        for column in (TARGET_ID, *columns):
            value = op.value(column)
            if value in (None, ""):
                continue
            try:
                return int(value)
            except (TypeError, ValueError):
                raise self.refusal(op, column, f"{column} {value!r} is not an id") from None
        return None

    @staticmethod
    def only_one(
        matches: list[RecordT], noun: str, key: str, *, fix: str, code: str, field: str
    ) -> RecordT | None:
        """The one record a natural key finds, or None; several are a conflict a person
        resolves (`fix` says how)."""
        if len(matches) > 1:
            ids = ", ".join(str(record.id) for record in matches)
            raise Conflict(
                SERVICE,
                f"{len(matches)} FreshBooks {noun} ({ids}) have {key}: {fix}, then run again",
                code=code,
                field=field,
            )
        return matches[0] if matches else None

    def link(self, entity: str, target_id: str, shop_id: Any) -> dict[str, Any]:
        """A crosswalk row: this FreshBooks record, and the shop record it came from if any."""
        link: dict[str, Any] = {
            "entity": entity,
            "freshbooks_account_id": self.client.account_id,
            "freshbooks_id": target_id,
        }
        if shop_id not in (None, ""):
            link["shop_id"] = str(shop_id)
        return link
