"""Accounting writes: create, partial update, the vis_state rule, numbering, payments, events."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sandbox.clock import SandboxClock
from sandbox.freshbooks import bills, errors, invoicing, records
from sandbox.freshbooks.errors import FieldError
from sandbox.freshbooks.money import ZERO, money
from sandbox.freshbooks.resources import (
    BILL_PAYMENTS,
    BILL_VENDORS,
    BILLS,
    CATEGORIES,
    CLIENTS,
    EXPENSES,
    INVOICES,
    ITEMS,
    PAYMENT_TYPES,
    PAYMENTS,
    Resource,
)
from sandbox.freshbooks.store import Record, Store
from sandbox.freshbooks.timestamps import stored
from sandbox.freshbooks.validation import (
    coerce,
    to_decimal,
    to_int,
    to_money,
    to_text,
    to_vis_state,
)

Notify = Callable[[str, int], None]
INVOICE_ACTIONS = ("action_mark_as_sent", "action_email")


def next_number(number: str) -> str:
    """The invoice number after `number`, as FreshBooks counts: "0005" -> "0006",
    "000D" -> "000E", "INV-0999" -> "INV-1000" (digits and letters carry within the tail)."""
    chars = list(number or "0000")
    position = len(chars) - 1
    while position >= 0 and chars[position].isalnum():
        char = chars[position]
        if char == "9":
            chars[position] = "0"
        elif char == "Z":
            chars[position] = "A"
        elif char == "z":
            chars[position] = "a"
        else:
            chars[position] = chr(ord(char) + 1)
            return "".join(chars)
        position -= 1
    # Every character of the tail carried: grow it by one place, as an odometer would.
    chars.insert(position + 1, "1")
    return "".join(chars)


def duplicate_number(number: str) -> errors.AccountingError:
    return errors.AccountingError(
        409,
        FieldError(
            errors.ERRNO_DUPLICATE,
            "Invoice number already exists.",
            "invoice_number",
            "invoice",
            number,
        ),
    )


class Accounting:
    """Applies API writes to the store and reports each one as a webhook event."""

    def __init__(self, store: Store, clock: SandboxClock, notify: Notify) -> None:
        self.store = store
        self.clock = clock
        self.notify = notify
        self._conflicts = 0
        self._lock = threading.Lock()
        self._rng = random.Random()

    # --- controls ----------------------------------------------------------------------------
    def force_conflicts(self, count: int) -> None:
        """The next `count` invoice creates answer 409, as concurrent creates can."""
        with self._lock:
            self._conflicts = max(0, count)

    def _take_conflict(self) -> bool:
        with self._lock:
            if self._conflicts <= 0:
                return False
            self._conflicts -= 1
            return True

    # --- entry points --------------------------------------------------------------------------
    def create(self, resource: Resource, body: dict[str, Any]) -> Record:
        values = coerce(resource, body)
        creator = {
            CLIENTS.name: self._create_client,
            INVOICES.name: self._create_invoice,
            PAYMENTS.name: self._create_payment,
            EXPENSES.name: self._create_expense,
            ITEMS.name: self._create_item,
            BILL_VENDORS.name: self._create_vendor,
            BILLS.name: self._create_bill,
            BILL_PAYMENTS.name: self._create_bill_payment,
        }[resource.name]
        with self.store.transaction() as conn:
            record = creator(conn, values, body)
        self.notify(f"{resource.name}.create", record.id)
        return record

    def update(self, resource: Resource, record_id: int, body: dict[str, Any]) -> Record:
        with self.store.transaction() as conn:
            record = Store.read(conn, resource, record_id)
            if record is None:
                raise errors.not_found(resource.name, resource.id_field, record_id)
            now = self._now()
            if "vis_state" in body:
                # The API's update phases: a vis_state in the body activates its own phase and
                # the rest of the data is thrown away silently.
                record.vis_state = to_vis_state(resource.name, "vis_state", body["vis_state"])
                verb = "delete" if record.vis_state == 1 else "update"
            else:
                updater = {
                    CLIENTS.name: self._update_client,
                    INVOICES.name: self._update_invoice,
                    PAYMENTS.name: self._update_payment,
                    EXPENSES.name: self._update_expense,
                    ITEMS.name: self._update_item,
                    BILL_VENDORS.name: self._update_vendor,
                    BILLS.name: self._update_bill,
                    BILL_PAYMENTS.name: self._update_bill_payment,
                }[resource.name]
                updater(conn, record, coerce(resource, body), body, now)
                verb = "update"
            record.updated = now
            Store.save(conn, resource, record)
            if resource is PAYMENTS:
                self._settle(conn, record.data["invoiceid"], now)
            if resource is BILL_PAYMENTS:
                self._settle_bill(conn, record.data["billid"], now)
        self.notify(f"{resource.name}.{verb}", record.id)
        return record

    def delete(self, resource: Resource, record_id: int) -> Record:
        """HTTP DELETE (invoices): the same soft delete as `PUT {"vis_state": 1}`."""
        return self.update(resource, record_id, {"vis_state": 1})

    # --- helpers -------------------------------------------------------------------------------
    def _now(self) -> str:
        return stored(self.clock.now())

    @staticmethod
    def _require(obj: str, values: dict[str, Any], *names: str) -> None:
        for name in names:
            if values.get(name) in (None, ""):
                raise errors.required(obj, name)

    @staticmethod
    def _live(conn: sqlite3.Connection, resource: Resource, record_id: int) -> Record | None:
        record = Store.read(conn, resource, record_id)
        return None if record is None or record.vis_state == 1 else record

    def _foreign(
        self, conn: sqlite3.Connection, obj: str, field: str, target: Resource, record_id: int
    ) -> Record:
        record = self._live(conn, target, record_id)
        if record is None:
            label = target.name.replace("_", " ").capitalize()
            raise errors.invalid(obj, field, f"{label} {record_id} not found.", record_id)
        return record

    # --- clients -------------------------------------------------------------------------------
    def _create_client(self, conn: sqlite3.Connection, values: dict, body: dict) -> Record:
        if not any(values.get(k) for k in ("email", "organization", "fname", "lname")):
            raise errors.AccountingError(
                422,
                FieldError(
                    errors.ERRNO_REQUIRED,
                    "A client needs an organization, a name or an e-mail address.",
                    "organization",
                    "client",
                ),
            )
        data = records.client_data(values)
        data["username"] = data["username"] or records.username(self._rng)
        data["uuid"] = str(uuid.uuid4())
        now = self._now()
        record = Record(Store.next_id(conn, CLIENTS), 0, now, now, data)
        Store.insert(conn, CLIENTS, record)
        return record

    def _update_client(
        self, conn: sqlite3.Connection, record: Record, values: dict, body: dict, now: str
    ) -> None:
        record.data.update(values)

    # --- invoices ------------------------------------------------------------------------------
    def _number_taken(self, conn: sqlite3.Connection, number: str, but: int | None = None) -> bool:
        # Deleted invoices do not hold on to their numbers.
        row = conn.execute(
            "select id from invoices where invoice_number = ? and vis_state != 1 and id != ?",
            (number, but or 0),
        ).fetchone()
        return row is not None

    def _next_invoice_number(self, conn: sqlite3.Connection) -> str:
        row = conn.execute(
            "select invoice_number from invoices order by id desc limit 1"
        ).fetchone()
        number = next_number(row[0] if row else "0000")
        while self._number_taken(conn, number):
            number = next_number(number)
        return number

    def _lines(
        self, raw_lines: Any, invoice_id: int, currency: str, now: str
    ) -> list[dict[str, Any]]:
        if not isinstance(raw_lines, list):
            raise errors.invalid("invoice", "lines", "'lines' must be a list.", raw_lines)
        lines = []
        for lineid, raw in enumerate(raw_lines, start=1):
            if not isinstance(raw, dict):
                raise errors.invalid("line", "lines", "Each line must be an object.", raw)
            unit = raw.get("unit_cost")
            unit_cost = to_money("line", "unit_cost", unit)["amount"] if unit is not None else "0"
            taxes = []
            for n in (1, 2):
                name = to_text("line", f"taxName{n}", raw.get(f"taxName{n}")) or ""
                percent_raw = raw.get(f"taxAmount{n}")
                percent = (
                    ZERO
                    if percent_raw in (None, "")
                    else to_decimal("line", f"taxAmount{n}", percent_raw)
                )
                if name or percent:
                    number = to_text("line", f"taxNumber{n}", raw.get(f"taxNumber{n}"))
                    taxes.append((name, percent, number))
            line_type = to_int("line", "type", raw.get("type", 0))
            if line_type not in (0, 1):
                raise errors.invalid("line", "type", "Line type must be 0 or 1.", line_type)
            lines.append(
                invoicing.make_line(
                    invoice_id,
                    lineid,
                    name=to_text("line", "name", raw.get("name")) or "",
                    description=to_text("line", "description", raw.get("description")) or "",
                    qty=to_decimal("line", "qty", raw.get("qty", 1)),
                    unit_cost=Decimal(unit_cost),
                    currency=currency,
                    updated=now,
                    taxes=tuple(taxes),
                    line_type=line_type,
                    expenseid=to_int("line", "expenseid", raw.get("expenseid") or 0),
                )
            )
        return lines

    def _create_invoice(self, conn: sqlite3.Connection, values: dict, body: dict) -> Record:
        self._require("invoice", values, "customerid", "create_date")
        client = self._foreign(conn, "invoice", "customerid", CLIENTS, values["customerid"])
        number = values.get("invoice_number") or self._next_invoice_number(conn)
        if self._take_conflict() or self._number_taken(conn, number):
            raise duplicate_number(number)
        fields = {k: v for k, v in values.items() if k not in (*INVOICE_ACTIONS, "vis_state")}
        data = invoicing.new_invoice_data(client.data, fields)
        data["invoice_number"] = number
        data["uuid"] = str(uuid.uuid4())
        now = self._now()
        record = Record(Store.next_id(conn, INVOICES), 0, now, now, data)
        lines = self._lines(body.get("lines", []), record.id, data["currency_code"], now)
        invoicing.apply_totals(data, lines)
        if any(values.get(action) for action in INVOICE_ACTIONS):
            invoicing.mark_sent(data)
        invoicing.settle(data, ZERO, None)
        Store.insert(conn, INVOICES, record)
        Store.replace_lines(conn, record.id, lines)
        return record

    def _update_invoice(
        self, conn: sqlite3.Connection, record: Record, values: dict, body: dict, now: str
    ) -> None:
        data = record.data
        if "customerid" in values and values["customerid"] != data["customerid"]:
            client = self._foreign(conn, "invoice", "customerid", CLIENTS, values["customerid"])
            data.update(invoicing.client_address(client.data))
        number = values.get("invoice_number")
        if (
            number
            and number != data["invoice_number"]
            and self._number_taken(conn, number, record.id)
        ):
            raise duplicate_number(number)
        data.update({k: v for k, v in values.items() if k not in INVOICE_ACTIONS})
        if "lines" in body:
            # A PUT with lines replaces them all (the API docs do not say; replacing is what
            # the SDK examples assume).
            lines = self._lines(body["lines"], record.id, data["currency_code"], now)
            Store.replace_lines(conn, record.id, lines)
        else:
            lines = Store.read_lines(conn, record.id)
        invoicing.apply_totals(data, lines)
        if any(values.get(action) for action in INVOICE_ACTIONS):
            invoicing.mark_sent(data)
        self._settle_data(conn, record.id, data)

    def _settle_data(self, conn: sqlite3.Connection, invoice_id: int, data: dict) -> None:
        rows = conn.execute(
            "select data from payments where invoiceid = ? and vis_state != 1", (invoice_id,)
        ).fetchall()
        payments = [json.loads(row["data"]) for row in rows]
        paid = sum((Decimal(p["amount"]["amount"]) for p in payments), ZERO)
        last = max((p["date"] for p in payments), default=None)
        invoicing.settle(data, paid, last)

    def _settle(self, conn: sqlite3.Connection, invoice_id: int, now: str) -> None:
        """Recompute an invoice after one of its payments changed (stamping it updated)."""
        invoice = Store.read(conn, INVOICES, invoice_id)
        if invoice is None:
            return
        self._settle_data(conn, invoice_id, invoice.data)
        invoice.updated = now
        Store.save(conn, INVOICES, invoice)

    # --- payments ------------------------------------------------------------------------------
    def _payment_fields(self, values: dict, currency: str) -> dict:
        fields = dict(values)
        fields.pop("vis_state", None)
        if "amount" in fields:
            amount = Decimal(fields["amount"]["amount"])
            if amount <= ZERO:
                raise errors.invalid(
                    "payment", "amount", "Payment amount must be positive.", amount
                )
            fields["amount"] = money(amount, currency)
        if "type" in fields and fields["type"] not in PAYMENT_TYPES:
            raise errors.invalid("payment", "type", "Unknown payment type.", fields["type"])
        return fields

    def _create_payment(self, conn: sqlite3.Connection, values: dict, body: dict) -> Record:
        self._require("payment", values, "invoiceid", "amount", "date")
        invoice = self._foreign(conn, "payment", "invoiceid", INVOICES, values["invoiceid"])
        fields = self._payment_fields(values, invoice.data["currency_code"])
        data = records.payment_data({**fields, "clientid": invoice.data["customerid"]})
        now = self._now()
        record = Record(Store.next_id(conn, PAYMENTS), 0, now, now, data)
        Store.insert(conn, PAYMENTS, record)
        self._settle(conn, invoice.id, now)
        return record

    def _update_payment(
        self, conn: sqlite3.Connection, record: Record, values: dict, body: dict, now: str
    ) -> None:
        values.pop("invoiceid", None)  # a payment stays on its invoice
        currency = record.data["amount"]["code"]
        record.data.update(self._payment_fields(values, currency))

    # --- expenses ------------------------------------------------------------------------------
    def _expense_fields(self, conn: sqlite3.Connection, values: dict, currency: str) -> dict:
        fields = dict(values)
        fields.pop("vis_state", None)
        if "categoryid" in fields:
            self._foreign(conn, "expense", "categoryid", CATEGORIES, fields["categoryid"])
        if fields.get("clientid"):
            self._foreign(conn, "expense", "clientid", CLIENTS, fields["clientid"])
            fields.setdefault("billable", True)
        if "amount" in fields:
            currency = fields["amount"]["code"] or currency
        for key in ("amount", "taxAmount1", "taxAmount2"):
            if fields.get(key) is not None:
                fields[key] = {**fields[key], "code": fields[key]["code"] or currency}
        return fields

    def _create_expense(self, conn: sqlite3.Connection, values: dict, body: dict) -> Record:
        self._require("expense", values, "categoryid", "date", "amount")
        data = records.expense_data(self._expense_fields(conn, values, records.BASE_CURRENCY))
        now = self._now()
        record = Record(Store.next_id(conn, EXPENSES), 0, now, now, data)
        Store.insert(conn, EXPENSES, record)
        return record

    def _update_expense(
        self, conn: sqlite3.Connection, record: Record, values: dict, body: dict, now: str
    ) -> None:
        currency = record.data["amount"]["code"]
        record.data.update(self._expense_fields(conn, values, currency))

    # --- items ---------------------------------------------------------------------------------
    @staticmethod
    def _item_fields(values: dict, currency: str) -> dict:
        fields = dict(values)
        fields.pop("vis_state", None)
        if fields.get("unit_cost") is not None:
            fields["unit_cost"] = {
                **fields["unit_cost"],
                "code": fields["unit_cost"]["code"] or currency,
            }
        return fields

    def _create_item(self, conn: sqlite3.Connection, values: dict, body: dict) -> Record:
        self._require("item", values, "name")
        data = records.item_data(self._item_fields(values, records.BASE_CURRENCY))
        now = self._now()
        record = Record(Store.next_id(conn, ITEMS), 0, now, now, data)
        Store.insert(conn, ITEMS, record)
        return record

    def _update_item(
        self, conn: sqlite3.Connection, record: Record, values: dict, body: dict, now: str
    ) -> None:
        record.data.update(self._item_fields(values, record.data["unit_cost"]["code"]))

    # --- bill vendors --------------------------------------------------------------------------
    def _create_vendor(self, conn: sqlite3.Connection, values: dict, body: dict) -> Record:
        self._require("bill_vendor", values, "vendor_name")
        data = bills.vendor_data({k: v for k, v in values.items() if k != "vis_state"})
        now = self._now()
        record = Record(Store.next_id(conn, BILL_VENDORS), 0, now, now, data)
        Store.insert(conn, BILL_VENDORS, record)
        return record

    def _update_vendor(
        self, conn: sqlite3.Connection, record: Record, values: dict, body: dict, now: str
    ) -> None:
        if "vendor_name" in values and not values["vendor_name"]:
            raise errors.required("bill_vendor", "vendor_name")
        record.data.update(values)

    # --- bills ---------------------------------------------------------------------------------
    def _category_of(self, conn: sqlite3.Connection) -> Callable[[int], str]:
        def name(categoryid: int) -> str:
            category = self._foreign(conn, "bill_line", "categoryid", CATEGORIES, categoryid)
            return category.data["category"]

        return name

    def _bill_paid(self, conn: sqlite3.Connection, bill_id: int) -> Decimal:
        rows = conn.execute(
            "select data from bill_payments where billid = ? and vis_state != 1", (bill_id,)
        ).fetchall()
        return sum((Decimal(json.loads(row["data"])["amount"]["amount"]) for row in rows), ZERO)

    def _create_bill(self, conn: sqlite3.Connection, values: dict, body: dict) -> Record:
        self._require("bill", values, "vendorid", "issue_date")
        vendor = self._foreign(conn, "bill", "vendorid", BILL_VENDORS, values["vendorid"])
        data = bills.new_bill_data(values, vendor.data)
        data["lines"] = bills.parse_lines(
            body.get("lines"), data["currency_code"], self._category_of(conn)
        )
        bills.apply_totals(data, ZERO)
        now = self._now()
        record = Record(Store.next_id(conn, BILLS), 0, now, now, data)
        Store.insert(conn, BILLS, record)
        return record

    def _update_bill(
        self, conn: sqlite3.Connection, record: Record, values: dict, body: dict, now: str
    ) -> None:
        data = record.data
        if "vendorid" in values and values["vendorid"] != data["vendorid"]:
            self._foreign(conn, "bill", "vendorid", BILL_VENDORS, values["vendorid"])
        data.update(values)
        if "lines" in body:
            # As for invoices: a PUT with lines replaces them all.
            data["lines"] = bills.parse_lines(
                body["lines"], data["currency_code"], self._category_of(conn)
            )
        bills.apply_totals(data, self._bill_paid(conn, record.id))
        if Decimal(data["outstanding"]["amount"]) < 0:
            raise errors.invalid(
                "bill", "lines", "The bill's total is less than what was paid on it.", None
            )

    def _settle_bill(self, conn: sqlite3.Connection, bill_id: int, now: str) -> None:
        """Recompute a bill after one of its payments changed (stamping it updated)."""
        bill = Store.read(conn, BILLS, bill_id)
        if bill is None:
            return
        bills.apply_totals(bill.data, self._bill_paid(conn, bill_id))
        bill.updated = now
        Store.save(conn, BILLS, bill)

    # --- bill payments -------------------------------------------------------------------------
    @staticmethod
    def _bill_payment_fields(values: dict, bill: Record, before: Decimal = ZERO) -> dict:
        """Checked fields; `before` is what this payment already counted on the bill."""
        fields = {k: v for k, v in values.items() if k not in ("vis_state", "billid")}
        if "amount" in fields:
            amount = Decimal(fields["amount"]["amount"])
            if amount <= ZERO:
                raise errors.invalid(
                    "bill_payment", "amount", "Payment amount must be positive.", amount
                )
            left = Decimal(bill.data["outstanding"]["amount"]) + before
            if amount > left:
                raise errors.invalid(
                    "bill_payment",
                    "amount",
                    f"Payment amount is more than the bill's outstanding {left}.",
                    amount,
                )
            fields["amount"] = money(amount, bill.data["currency_code"])
        if "payment_type" in fields and fields["payment_type"] not in PAYMENT_TYPES:
            raise errors.invalid(
                "bill_payment", "payment_type", "Unknown payment type.", fields["payment_type"]
            )
        return fields

    def _create_bill_payment(self, conn: sqlite3.Connection, values: dict, body: dict) -> Record:
        self._require("bill_payment", values, "billid", "amount", "paid_date", "payment_type")
        bill = self._foreign(conn, "bill_payment", "billid", BILLS, values["billid"])
        fields = self._bill_payment_fields(values, bill)
        data = bills.payment_data({**fields, "billid": bill.id})
        now = self._now()
        record = Record(Store.next_id(conn, BILL_PAYMENTS), 0, now, now, data)
        Store.insert(conn, BILL_PAYMENTS, record)
        self._settle_bill(conn, bill.id, now)
        return record

    def _update_bill_payment(
        self, conn: sqlite3.Connection, record: Record, values: dict, body: dict, now: str
    ) -> None:
        # A payment stays on its bill.
        bill = Store.read(conn, BILLS, record.data["billid"])
        if bill is None:
            raise errors.not_found("bill", "billid", record.data["billid"])
        before = Decimal(record.data["amount"]["amount"]) if record.vis_state != 1 else ZERO
        record.data.update(self._bill_payment_fields(values, bill, before))
