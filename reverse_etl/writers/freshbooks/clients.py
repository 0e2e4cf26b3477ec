"""FreshBooks clients: created keyed by the normalized e-mail, or updated by the client id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerlink.connectors.freshbooks.client import FreshBooksClient
from ledgerlink.connectors.freshbooks.models import Client
from ledgerlink.errors import NotFound
from reverse_etl.operations import DIFFERS, Operation, WriteResult
from reverse_etl.writers.base import payload_fields
from reverse_etl.writers.freshbooks.handler import FreshBooksHandler
from reverse_etl.writers.freshbooks.rules import ClientFields, invalid, present, validated
from reverse_etl.writers.freshbooks.wire import as_text, client_differences


class ClientHandler(FreshBooksHandler):
    """Clients (freshbooks_clients). FreshBooks accepts two clients with one e-mail, so a create
    looks the e-mail up first and updates the client it finds instead of adding a second one.

    `infor_company` (the M3 CONO) is recorded with an Infor customer number in the crosswalk.
    """

    entity = "clients"
    sync = "freshbooks_clients"
    operations = ("create", "update")

    def __init__(self, client: FreshBooksClient, infor_company: str | None = None) -> None:
        super().__init__(client)
        self.infor_company = infor_company

    def planned(self, op: Operation) -> ClientFields:
        what = f"client {op.natural_key}"
        values = present(op.values(payload_fields(op, ClientFields)))
        fields = validated(ClientFields, values, what)
        if op.operation == "create" and not (fields.email or fields.organization):
            raise invalid(what, "email", "a FreshBooks client needs an e-mail or an organization")
        if not fields.model_dump(exclude_none=True):
            raise invalid(what, None, "no field to send")
        return fields

    def by_email(self, email: str) -> Client | None:
        """The one live (active or archived) client with this e-mail; deleted ones do not count,
        as the planner does not count them."""
        matches = [
            c
            for c in self.records("clients", {"email": email})
            if as_text(c.email).lower() == email.strip().lower()
        ]
        return self.only_one(
            matches,
            "clients",
            f"the e-mail {email}",
            fix="merge or delete the duplicates",
            code="ambiguous_client",
            field="email",
        )

    def client_id(self, op: Operation) -> int | None:
        """The client a write targets: `onto_existing`'s id, else the row's client id (an
        update's natural key); None for a create, which goes by e-mail."""
        client_id = self.record_id(op, "client_id")
        if client_id is None and op.operation == "update":
            if not op.natural_key.isdigit():
                raise invalid(
                    f"client {op.natural_key}", "natural_key", "a client update needs the client id"
                )
            client_id = int(op.natural_key)
        return client_id

    def existing(self, op: Operation, planned: ClientFields) -> Client | None:
        client_id = self.client_id(op)
        if client_id is None:
            return self.by_email(planned.email or op.natural_key)
        try:
            return self.client.get("clients", client_id)  # type: ignore[return-value]
        except NotFound:
            return None

    def find(self, op: Operation) -> WriteResult | None:
        planned = self.planned(op)
        client = self.existing(op, planned)
        if client is None:
            return None
        status = DIFFERS if client_differences(client, planned) else "unchanged"
        return self.result(status, op, client.id)

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        planned = self.planned(op)
        body = planned.model_dump(exclude_none=True)
        client_id = self.client_id(op)
        if client_id is None:
            # FreshBooks does not refuse a second client with the same e-mail: look first.
            existing = self.by_email(planned.email or op.natural_key)
            if existing is None:
                return self.result("created", op, self.client.create("clients", body).id)
            if not client_differences(existing, planned):
                return self.result("unchanged", op, existing.id)
            client_id = existing.id
        return self.result("updated", op, self.client.update("clients", client_id, body).id)

    def links(self, op: Operation, target_id: str) -> list[dict[str, Any]]:
        """Client <-> shop customer id and Infor customer number, when the row carries them."""
        link = self.link("customer", target_id, op.value("shop_customer_id"))
        if op.value("customer_number") not in (None, ""):
            link["infor_key"] = str(op.value("customer_number"))
            if self.infor_company:
                link["infor_company"] = self.infor_company
        return [link]
