"""FreshBooks writer: clients, shop-order invoices and their sent state, written idempotently.

One handler per entity of the FreshBooks syncs (`syncs.yml`):

- `clients` (freshbooks_clients): create, keyed by the normalized e-mail, or update, keyed by
  the client id. FreshBooks accepts two clients with one e-mail, so a create looks the e-mail
  up first and updates the client it finds instead of adding a second one.
- `invoices` (freshbooks_invoices): create, keyed by the invoice number, or void
  (`vis_state` 1, sent on its own). A 409 on a create means the number is taken: the invoice
  holding it is read and compared (see `InvoiceHandler.create`).
- `invoice_status` (freshbooks_invoice_status): FreshBooks has no "shipped" state, so the
  Infor delivery reference goes into `po_number` on an invoice in any state, and a draft is
  also marked sent (`action_mark_as_sent`), each in its own PUT, the state change last. The
  `po_number` PUT is guarded: it goes out only while FreshBooks still holds what the plan read
  (a person's edit since then is never overwritten), and an invoice already sent is never
  marked sent again.

Rows are checked against FreshBooks' rules (pydantic models in `rules.py`) before any request:
an invalid row raises `ValidationFailed` naming the field and never reaches the API. The fields
sent are those `syncs.yml` declares in each sync's payload. Money goes
out as Decimal strings, `{"amount": "12.30", "code": "USD"}`.

FreshBooks has no idempotency header, so `find` looks a record up by its natural key (after an
unknown outcome, before any retry) and answers one of:

- `None`: FreshBooks does not have it; `write` it as planned.
- `WriteResult("unchanged", id, links)`: FreshBooks already has the planned content.
- `WriteResult(DIFFERS, id, links)`: a record with that key exists but its content differs.
  Write over it with `write(onto_existing(op, result.target_id), parent_ids)`: a create
  becomes an update of that record (never a second record); an update or a void keeps its
  operation and is aimed at that id. `DIFFERS` is a look-up answer, never an outcome to record.

Errors are the connector's typed errors; `OutcomeUnknown` is deliberately left to the caller.
"""

from __future__ import annotations

from ledgerlink.connectors.freshbooks.client import FreshBooksClient
from reverse_etl.writers.base import TargetWriter
from reverse_etl.writers.freshbooks.clients import ClientHandler
from reverse_etl.writers.freshbooks.invoice_status import InvoiceStatusHandler
from reverse_etl.writers.freshbooks.invoices import InvoiceHandler, InvoiceNumberTaken

__all__ = ["FreshBooksWriter", "InvoiceNumberTaken"]


class FreshBooksWriter(TargetWriter[FreshBooksClient]):
    """The reverse-ETL `Writer` for FreshBooks: each operation goes to its entity's handler.

    `infor_company` (the M3 CONO) is recorded with an Infor customer number in the crosswalk.
    """

    target_name = "FreshBooks"

    def __init__(self, client: FreshBooksClient, *, infor_company: str | None = None) -> None:
        handlers = (
            ClientHandler(client, infor_company),
            InvoiceHandler(client),
            InvoiceStatusHandler(client),
        )
        super().__init__(client, handlers)
