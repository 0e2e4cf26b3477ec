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

Rows are checked against FreshBooks' rules (pydantic models below) before any request: an
invalid row raises `ValidationFailed` naming the field and never reaches the API. Money goes
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

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator

from ledgerlink.connectors.freshbooks.client import FreshBooksClient, Search
from ledgerlink.connectors.freshbooks.errors import SERVICE
from ledgerlink.connectors.freshbooks.models import Client, Invoice
from ledgerlink.errors import (
    ConfigurationError,
    Conflict,
    MalformedResponse,
    NotFound,
    ValidationFailed,
)
from ledgerlink.log import get_logger
from ledgerlink.records import Rejected
from reverse_etl.operations import BEFORE_VALUES, DIFFERS, TARGET_ID, Operation, WriteResult

log = get_logger("ledgerlink.reverse_etl.freshbooks")

# A 409 for a number no invoice holds is a collision between concurrent creates (nothing was
# created); FreshBooks documents that trying again succeeds. Bounded, and only after a look-up.
CONFLICT_RETRIES = 1

CLIENT_FIELDS = (
    "email", "fname", "lname", "organization", "bus_phone",
    "p_street", "p_street2", "p_city", "p_province", "p_code", "p_country", "currency_code",
)  # fmt: skip
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
CENT = Decimal("0.01")

M = TypeVar("M", bound=BaseModel)


class InvoiceNumberTaken(Conflict):
    """Another invoice, with different content, already has this invoice number."""

    def __init__(self, number: str, existing_id: int, differences: list[str]) -> None:
        self.existing_id = existing_id
        self.differences = differences
        super().__init__(
            SERVICE,
            f"invoice number {number} is taken by invoice {existing_id}, which differs in "
            f"{', '.join(differences)}; nothing was created. Check that invoice in FreshBooks: "
            "void or renumber it, or correct the source order, then replay",
            status=409,
            code="invoice_number_taken",
            field="invoice_number",
            details={"invoice_id": existing_id, "differences": differences},
        )


# --- FreshBooks' rules, checked before any request -------------------------------------------


class ClientFields(BaseModel):
    """The client fields we send; None means "leave as it is"."""

    email: str | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=254)
    fname: str | None = None
    lname: str | None = None
    organization: str | None = None
    bus_phone: str | None = None
    p_street: str | None = None
    p_street2: str | None = None
    p_city: str | None = None
    p_province: str | None = None
    p_code: str | None = None
    p_country: str | None = None
    currency_code: str | None = Field(default=None, pattern=CURRENCY_PATTERN)


class MoneyFields(BaseModel):
    amount: Decimal
    code: str | None = Field(default=None, pattern=CURRENCY_PATTERN)

    @field_validator("amount")
    @classmethod
    def _whole_cents(cls, amount: Decimal) -> Decimal:
        if amount != amount.quantize(CENT):
            raise ValueError("money has at most 2 decimals (FreshBooks would round it)")
        return amount


class InvoiceLineFields(BaseModel):
    type: int = Field(default=0, ge=0, le=1)
    name: str = ""
    description: str = ""
    qty: Decimal
    unit_cost: MoneyFields
    taxName1: str = ""
    taxAmount1: Decimal = Decimal(0)  # a percentage, as on every FreshBooks invoice line
    taxName2: str = ""
    taxAmount2: Decimal = Decimal(0)


class InvoiceFields(BaseModel):
    """An invoice as planned. `customerid` may be unknown while its client is still to be
    created (the row waits on it); a write requires it."""

    customerid: int | None = Field(default=None, gt=0)
    create_date: date
    invoice_number: str = Field(min_length=1)
    currency_code: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    notes: str | None = None
    lines: list[InvoiceLineFields] = Field(min_length=1)


class InvoiceStatusFields(BaseModel):
    invoiceid: int | None = Field(default=None, gt=0)
    action_mark_as_sent: bool = False
    po_number: str | None = Field(default=None, min_length=1)


def _invalid(what: str, field: str | None, problem: str) -> ValidationFailed:
    return ValidationFailed(
        SERVICE,
        f"{what} not sent: {problem}; fix the source data (or the sync model), then replay",
        code="invalid_record",
        field=field,
    )


def _validated(model: type[M], data: Mapping[str, Any], what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        text = "; ".join(f"{loc or '<record>'}: {msg}" for loc, msg in problems)
        raise _invalid(what, problems[0][0] or None, text) from None


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    """Null means "do not send": drop it, so a required field reads as missing."""
    return {k: v for k, v in values.items() if v is not None}


# --- wire format and comparison ---------------------------------------------------------------


def money_text(amount: Decimal) -> str:
    """A money amount as FreshBooks writes it: a Decimal string with two decimals."""
    return f"{amount.quantize(CENT):f}"


def number_text(value: Decimal) -> str:
    """A non-money number (qty, tax percent) as a plain Decimal string: "2", "8.25"."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _money(amount: Decimal, code: str | None) -> dict[str, str]:
    return {"amount": money_text(amount)} | ({"code": code} if code else {})


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _line_key(line: Any) -> tuple:
    """What a line says, comparable between a planned line and one read from FreshBooks."""
    return (
        int(line.type or 0),
        _text(line.name),
        _text(line.description),
        Decimal(line.qty),
        Decimal(line.unit_cost.amount),
        _text(line.taxName1),
        Decimal(line.taxAmount1 or 0),
        _text(line.taxName2),
        Decimal(line.taxAmount2 or 0),
    )


def invoice_differences(invoice: Invoice, planned: InvoiceFields) -> list[str]:
    """The planned fields the FreshBooks invoice does not have (a null customerid, still
    unknown, is not compared)."""
    differences = []
    if planned.customerid is not None and invoice.customerid != planned.customerid:
        differences.append("customerid")
    if invoice.create_date != planned.create_date:
        differences.append("create_date")
    if planned.currency_code and invoice.currency_code != planned.currency_code:
        differences.append("currency_code")
    if planned.notes is not None and _text(invoice.notes) != _text(planned.notes):
        differences.append("notes")
    if [_line_key(line) for line in invoice.lines] != [_line_key(line) for line in planned.lines]:
        differences.append("lines")
    return differences


def client_differences(client: Client, planned: ClientFields) -> list[str]:
    """The planned (non-null) fields the FreshBooks client does not have; e-mail and currency
    compare case-insensitively, as FreshBooks matches them."""
    differences = []
    for name, value in planned.model_dump(exclude_none=True).items():
        have, want = _text(getattr(client, name, None)), _text(value)
        if name in ("email", "currency_code"):
            have, want = have.lower(), want.lower()
        if have != want:
            differences.append(name)
    return differences


def invoice_body(planned: InvoiceFields) -> dict[str, Any]:
    code = planned.currency_code
    body: dict[str, Any] = {
        "customerid": planned.customerid,
        "create_date": planned.create_date.isoformat(),
        "invoice_number": planned.invoice_number,
        "lines": [
            {
                "type": line.type,
                "name": line.name,
                "description": line.description,
                "qty": number_text(line.qty),
                "unit_cost": _money(line.unit_cost.amount, line.unit_cost.code or code),
                "taxName1": line.taxName1,
                "taxAmount1": number_text(line.taxAmount1),
                "taxName2": line.taxName2,
                "taxAmount2": number_text(line.taxAmount2),
            }
            for line in planned.lines
        ],
    }
    if code:
        body["currency_code"] = code
    if planned.notes is not None:
        body["notes"] = planned.notes
    return body


# --- handlers ------------------------------------------------------------------------------


class EntityHandler(ABC):
    """Finds and writes the records of one FreshBooks sync."""

    operations: tuple[str, ...] = ()

    def __init__(self, api: FreshBooksClient) -> None:
        self.api = api

    @abstractmethod
    def find(self, op: Operation) -> WriteResult | None:
        """The record in the target by the row's natural key, or None."""

    @abstractmethod
    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        """Create, update or void the record in the target."""

    def check_operation(self, op: Operation) -> None:
        if op.operation not in self.operations:
            raise _invalid(
                f"{op.entity} {op.natural_key}",
                "operation",
                f"operation {op.operation!r} is not one FreshBooks {op.entity} take "
                f"({', '.join(self.operations)})",
            )

    def records(
        self, resource: str, filters: dict[str, Any], vis_state: int | None = None
    ) -> list[Any]:
        """Every record matching `filters` (active and archived, or only `vis_state`)."""
        found = []
        search = Search(vis_state=vis_state, extra=filters)
        for record in self.api.list(resource, search=search):
            if isinstance(record, Rejected):
                raise MalformedResponse(SERVICE, f"{resource}: {record.reason}", details=record)
            found.append(record)
        return found

    @staticmethod
    def record_id(op: Operation, *columns: str) -> int | None:
        """The FreshBooks id a write targets: `onto_existing`'s, else the first id column."""
        for column in (TARGET_ID, *columns):
            value = op.value(column)
            if value in (None, ""):
                continue
            try:
                return int(value)
            except (TypeError, ValueError):
                raise _invalid(
                    f"{op.entity} {op.natural_key}", column, f"{column} {value!r} is not an id"
                ) from None
        return None


class ClientHandler(EntityHandler):
    operations = ("create", "update")

    def __init__(self, api: FreshBooksClient, infor_company: str | None = None) -> None:
        super().__init__(api)
        self.infor_company = infor_company

    def planned(self, op: Operation) -> ClientFields:
        what = f"client {op.natural_key}"
        self.check_operation(op)
        fields = _validated(ClientFields, _present({f: op.value(f) for f in CLIENT_FIELDS}), what)
        if op.operation == "create" and not (fields.email or fields.organization):
            raise _invalid(what, "email", "a FreshBooks client needs an e-mail or an organization")
        if not fields.model_dump(exclude_none=True):
            raise _invalid(what, None, "no field to send")
        return fields

    def by_email(self, email: str) -> Client | None:
        """The one live (active or archived) client with this e-mail; deleted ones do not count,
        as the planner does not count them."""
        matches = [
            c
            for c in self.records("clients", {"email": email})
            if _text(c.email).lower() == email.strip().lower()
        ]
        if len(matches) > 1:
            ids = ", ".join(str(c.id) for c in matches)
            raise Conflict(
                SERVICE,
                f"{len(matches)} FreshBooks clients ({ids}) have the e-mail {email}: merge or "
                "delete the duplicates, then run again",
                code="ambiguous_client",
                field="email",
            )
        return matches[0] if matches else None

    def client_id(self, op: Operation) -> int | None:
        """The client a write targets: `onto_existing`'s id, else the row's client id (an
        update's natural key); None for a create, which goes by e-mail."""
        client_id = self.record_id(op, "client_id")
        if client_id is None and op.operation == "update":
            if not op.natural_key.isdigit():
                raise _invalid(
                    f"client {op.natural_key}", "natural_key", "a client update needs the client id"
                )
            client_id = int(op.natural_key)
        return client_id

    def existing(self, op: Operation, planned: ClientFields) -> Client | None:
        client_id = self.client_id(op)
        if client_id is None:
            return self.by_email(planned.email or op.natural_key)
        try:
            return self.api.get("clients", client_id)  # type: ignore[return-value]
        except NotFound:
            return None

    def find(self, op: Operation) -> WriteResult | None:
        planned = self.planned(op)
        client = self.existing(op, planned)
        if client is None:
            return None
        status = DIFFERS if client_differences(client, planned) else "unchanged"
        return WriteResult(status, str(client.id), self.links(op, client.id))

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        planned = self.planned(op)
        body = planned.model_dump(exclude_none=True)
        client_id = self.client_id(op)
        if client_id is None:
            # FreshBooks does not refuse a second client with the same e-mail: look first.
            existing = self.by_email(planned.email or op.natural_key)
            if existing is None:
                created = self.api.create("clients", body)
                return WriteResult("created", str(created.id), self.links(op, created.id))
            if not client_differences(existing, planned):
                return WriteResult("unchanged", str(existing.id), self.links(op, existing.id))
            client_id = existing.id
        updated = self.api.update("clients", client_id, body)
        return WriteResult("updated", str(updated.id), self.links(op, updated.id))

    def links(self, op: Operation, client_id: int) -> list[dict[str, Any]]:
        """Client <-> shop customer id and Infor customer number, when the row carries them."""
        link: dict[str, Any] = {
            "entity": "customer",
            "freshbooks_account_id": self.api.account_id,
            "freshbooks_id": str(client_id),
        }
        if op.value("shop_customer_id") not in (None, ""):
            link["shop_id"] = str(op.value("shop_customer_id"))
        if op.value("customer_number") not in (None, ""):
            link["infor_key"] = str(op.value("customer_number"))
            if self.infor_company:
                link["infor_company"] = self.infor_company
        return [link]


class InvoiceLookup(EntityHandler):
    """Invoices by number, and the invoice side of the crosswalk."""

    def by_number(self, number: str, *, deleted: bool = False) -> Invoice | None:
        """The live (active or archived) invoice with this number, or with `deleted` the
        latest deleted one (FreshBooks lists deleted records only when asked)."""
        matches = [
            invoice
            for invoice in self.records(
                "invoices", {"invoice_number": number}, 1 if deleted else None
            )
            if invoice.invoice_number == number
        ]
        if deleted:
            return matches[-1] if matches else None
        if len(matches) > 1:
            ids = ", ".join(str(i.id) for i in matches)
            raise Conflict(
                SERVICE,
                f"{len(matches)} FreshBooks invoices ({ids}) have the number {number}: void the "
                "extra ones, then run again",
                code="ambiguous_invoice",
                field="invoice_number",
            )
        return matches[0] if matches else None

    def live_id(self, op: Operation, number: str) -> int:
        """`onto_existing`'s id or the row's `invoiceid`, else the live invoice's by number."""
        invoice_id = self.record_id(op, "invoiceid")
        if invoice_id is not None:
            return invoice_id
        invoice = self.by_number(number)
        if invoice is None:
            raise self.missing(op, number)
        return invoice.id

    @staticmethod
    def missing(op: Operation, number: str) -> NotFound:
        return NotFound(
            SERVICE,
            f"{op.operation} invoice {number}: FreshBooks has no live invoice with that number; "
            "extract FreshBooks and plan again",
            field="invoice_number",
        )

    def links(self, op: Operation, invoice_id: int) -> list[dict[str, Any]]:
        """Invoice <-> shop order id, when the row carries it."""
        link: dict[str, Any] = {
            "entity": "invoice",
            "freshbooks_account_id": self.api.account_id,
            "freshbooks_id": str(invoice_id),
        }
        if op.value("order_id") not in (None, ""):
            link["shop_id"] = str(op.value("order_id"))
        return [link]


class InvoiceHandler(InvoiceLookup):
    operations = ("create", "update", "void")

    @staticmethod
    def number(op: Operation) -> str:
        return str(op.value("invoice_number") or op.natural_key)

    def planned(self, op: Operation, parent_ids: Mapping[str, str] | None) -> InvoiceFields:
        """The row as FreshBooks' invoice rules see it. With `parent_ids` (a write) a null
        `customerid` is filled from the parent client's new id, and is then required."""
        what = f"invoice {self.number(op)}"
        self.check_operation(op)
        data = _present({k: op.value(k) for k in ("customerid", "create_date", "currency_code")})
        data |= _present({"notes": op.value("notes"), "invoice_number": self.number(op)})
        lines = self.lines(op, what)
        if lines is not None:
            data["lines"] = lines
        parent_id = (parent_ids or {}).get(op.depends_on) if op.depends_on else None
        if "customerid" not in data and parent_id is not None:
            data["customerid"] = parent_id
        planned = _validated(InvoiceFields, data, what)
        if parent_ids is not None and planned.customerid is None:
            waiting = f" (client {op.depends_on} has no FreshBooks id yet)" if op.depends_on else ""
            raise _invalid(what, "customerid", f"customerid: Field required{waiting}")
        return planned

    @staticmethod
    def lines(op: Operation, what: str) -> list[Any] | None:
        raw = op.value("lines")
        if raw in (None, ""):
            return None
        try:
            # Decimal straight from the text: a unit cost never passes through a float.
            lines = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else list(raw)
        except (ValueError, TypeError) as exc:
            raise _invalid(what, "lines", f"lines: not a JSON array ({exc})") from None
        if not isinstance(lines, list):
            raise _invalid(what, "lines", "lines: not a JSON array")
        return [_present(line) if isinstance(line, Mapping) else line for line in lines]

    def find(self, op: Operation) -> WriteResult | None:
        """The invoice with this number, live or else deleted. A void is `unchanged` once the
        invoice is deleted. A create is `unchanged` when the content matches, even if someone
        deleted the invoice since: the planner reads deleted invoices too and would not create
        it again either."""
        self.check_operation(op)
        planned = None if op.operation == "void" else self.planned(op, None)
        number = self.number(op)
        invoice = self.by_number(number) or self.by_number(number, deleted=True)
        if invoice is None:
            return None
        done = invoice.deleted if planned is None else not invoice_differences(invoice, planned)
        return WriteResult(
            "unchanged" if done else DIFFERS, str(invoice.id), self.links(op, invoice.id)
        )

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        if op.operation == "void":
            self.check_operation(op)
            return self.void(op)
        planned = self.planned(op, parent_ids)
        body = invoice_body(planned)
        if op.operation == "create":
            return self.create(op, planned, body)
        invoice_id = self.live_id(op, planned.invoice_number)
        body.pop("invoice_number")  # the key it was found by; never renumber
        updated = self.api.update("invoices", invoice_id, body)
        return WriteResult("updated", str(updated.id), self.links(op, updated.id))

    def create(self, op: Operation, planned: InvoiceFields, body: dict[str, Any]) -> WriteResult:
        """POST the invoice. A 409 says the number is taken: the live invoice with that number
        is read; the same content means it is already there (`unchanged`), other content raises
        `InvoiceNumberTaken`. No invoice with that number means a collision between concurrent
        creates that created nothing: tried again (`CONFLICT_RETRIES`), then a `Conflict`."""
        number = planned.invoice_number
        for attempt in range(1 + CONFLICT_RETRIES):
            try:
                created = self.api.create("invoices", body)
            except Conflict as conflict:
                existing = self.by_number(number)
                if existing is None:
                    log.warning(
                        "invoice number collision, nothing was created",
                        extra={"invoice_number": number, "attempt": attempt + 1},
                    )
                    continue
                differences = invoice_differences(existing, planned)
                if differences:
                    raise InvoiceNumberTaken(number, existing.id, differences) from conflict
                return WriteResult("unchanged", str(existing.id), self.links(op, existing.id))
            return WriteResult("created", str(created.id), self.links(op, created.id))
        deleted = self.by_number(number, deleted=True)
        held = (
            f"; deleted invoice {deleted.id} may still hold the number: restore it or renumber"
            if deleted is not None
            else ""
        )
        raise Conflict(
            SERVICE,
            f"create invoice {number}: FreshBooks answered 409 (number exists) "
            f"{1 + CONFLICT_RETRIES} times, yet no live invoice has that number; nothing was "
            f"created, run the sync again later{held}",
            status=409,
            code="invoice_number_conflict",
            field="invoice_number",
        )

    def void(self, op: Operation) -> WriteResult:
        """Soft delete (`vis_state` 1, alone in its PUT); an invoice already deleted is left."""
        number = self.number(op)
        invoice_id = self.record_id(op, "invoiceid")
        if invoice_id is None:
            live = self.by_number(number)
            if live is None:
                deleted = self.by_number(number, deleted=True)
                if deleted is None:
                    raise self.missing(op, number)
                return WriteResult("unchanged", str(deleted.id), self.links(op, deleted.id))
            invoice_id = live.id
        voided = self.api.delete("invoices", invoice_id)
        return WriteResult("updated", str(voided.id), self.links(op, voided.id))


def is_sent(invoice: Invoice) -> bool:
    """No longer a draft. `display_status` keeps saying so after payments change `v3_status`."""
    return (invoice.display_status or invoice.v3_status) not in (None, "draft", "created")


class InvoiceStatusHandler(InvoiceLookup):
    """Shipped in Infor -> the Infor reference in `po_number`; a draft is then marked sent.

    The planned `po_number` is the whole field: what a person wrote there and the reference
    (the sync model composes it from what FreshBooks held when it was read, `before_values`).
    """

    operations = ("update",)

    def planned(self, op: Operation) -> InvoiceStatusFields:
        what = f"invoice {op.natural_key} status"
        self.check_operation(op)
        columns = ("invoiceid", "action_mark_as_sent", "po_number")
        planned = _validated(InvoiceStatusFields, _present({k: op.value(k) for k in columns}), what)
        if not planned.action_mark_as_sent and planned.po_number is None:
            raise _invalid(what, None, "nothing to change (not marked sent, no po_number)")
        return planned

    def current(self, op: Operation) -> Invoice | None:
        """The live invoice the row names: by `invoiceid` (or `onto_existing`'s id), else by
        number; None when FreshBooks has no live invoice there."""
        invoice_id = self.record_id(op, "invoiceid")
        if invoice_id is None:
            return self.by_number(op.natural_key)
        try:
            invoice: Invoice = self.api.get("invoices", invoice_id)  # type: ignore[assignment]
        except NotFound:
            return None
        return None if invoice.deleted else invoice

    @staticmethod
    def has_reference(invoice: Invoice, planned: InvoiceStatusFields) -> bool:
        """Whether `po_number` reads as planned, compared as FreshBooks returns it."""
        return planned.po_number is None or _text(invoice.po_number) == _text(planned.po_number)

    def find(self, op: Operation) -> WriteResult | None:
        planned = self.planned(op)
        invoice = self.current(op)
        if invoice is None:
            return None
        done = (not planned.action_mark_as_sent or is_sent(invoice)) and self.has_reference(
            invoice, planned
        )
        return WriteResult("unchanged" if done else DIFFERS, str(invoice.id))

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        planned = self.planned(op)
        invoice = self.current(op)
        if invoice is None:
            raise self.missing(op, op.natural_key)
        written = False
        # The reference first, the state change last: a crash in between leaves a draft, which
        # the next plan picks up again; the other way round would lose the reference.
        if not self.has_reference(invoice, planned):
            self.check_unchanged_since_read(op, invoice)
            self.api.update("invoices", invoice.id, {"po_number": planned.po_number})
            written = True
        if planned.action_mark_as_sent and not is_sent(invoice):
            self.api.mark_invoice_sent(invoice.id)
            written = True
        return WriteResult("updated" if written else "unchanged", str(invoice.id))

    @staticmethod
    def check_unchanged_since_read(op: Operation, invoice: Invoice) -> None:
        """Refuse to write `po_number` over an edit made after the plan read it: the planned
        value keeps the text that was there then, not what a person typed since."""
        raw = op.row.get(BEFORE_VALUES)
        before = json.loads(raw) if isinstance(raw, str) and raw else {}
        if "po_number" not in before or _text(before["po_number"]) == _text(invoice.po_number):
            return
        raise Conflict(
            SERVICE,
            f"invoice {op.natural_key}: po_number changed in FreshBooks since it was read "
            f"({_text(before['po_number'])!r} -> {_text(invoice.po_number)!r}); nothing was "
            "written. The next sync reads it again and keeps the new text",
            code="changed_since_read",
            field="po_number",
        )


class FreshBooksWriter:
    """The reverse-ETL `Writer` for FreshBooks: each operation goes to its entity's handler.

    `infor_company` (the M3 CONO) is recorded with an Infor customer number in the crosswalk.
    """

    def __init__(self, client: FreshBooksClient, *, infor_company: str | None = None) -> None:
        self.client = client
        self.handlers: dict[str, EntityHandler] = {
            "clients": ClientHandler(client, infor_company),
            "invoices": InvoiceHandler(client),
            "invoice_status": InvoiceStatusHandler(client),
        }

    def handler(self, op: Operation) -> EntityHandler:
        handler = self.handlers.get(op.entity)
        if handler is None:
            raise ConfigurationError(
                f"the FreshBooks writer has no handler for entity {op.entity!r} (sync "
                f"{op.sync.name}); it writes {', '.join(self.handlers)}: fix the sync model"
            )
        return handler

    def find(self, op: Operation) -> WriteResult | None:
        """None, `unchanged` or `DIFFERS` (see the module docstring)."""
        return self.handler(op).find(op)

    def write(self, op: Operation, parent_ids: Mapping[str, str]) -> WriteResult:
        """Validate, then create, update or void; `created`, `updated` or `unchanged`."""
        return self.handler(op).write(op, parent_ids)
