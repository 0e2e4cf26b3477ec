"""Fill the FreshBooks tables from the shared `World`, in batches, without holding it in memory.

Ids are deterministic (a fixed base per kind plus the world's index), so the same seed always
gives the same ids; a few records are archived or deleted, chosen from the seed as well. The
world's options leave entities without rows (and what refers to them unlinked) and optional
fields null on every row.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sandbox.database import Database
from sandbox.freshbooks import bills, invoicing, records
from sandbox.freshbooks.money import ZERO, cents, money, number_text
from sandbox.freshbooks.resources import (
    BILL_PAYMENTS,
    BILL_VENDORS,
    BILLS,
    CATEGORIES,
    CLIENTS,
    CREDIT_NOTES,
    EXPENSES,
    INVOICES,
    ITEMS,
    PAYMENTS,
    RAW_TABLES,
    TAXES,
    Resource,
)
from sandbox.freshbooks.store import Record, dumps, index_sql, insert_row, insert_sql, schema_sql
from sandbox.freshbooks.timestamps import stored
from sandbox.generator import Bill, Company, P2PSupplier, Sale, TaxRate, World

CLIENT_BASE = 40_000
ITEM_BASE = 30_000
INVOICE_BASE = 200_000
PAYMENT_BASE = 500_000
EXPENSE_BASE = 700_000
CREDIT_NOTE_BASE = 60_000
CATEGORY_BASE = 5_000_000
TAX_BASE = 9_000
VENDOR_BASE = 3_000
BILL_BASE = 800_000
BILL_PAYMENT_BASE = 900_000
BATCH = 1_000  # sales per transaction: bounded memory at any scale

COUNTRY_NAMES = {"US": "United States", "CA": "Canada"}
ONLINE_GATEWAYS = {"stripe", "paypal", "shopify_payments"}


COMPANY_SIZES = {"Individual": "1", "SMB": "2-10", "Enterprise": "1000+", "Nonprofit": "11-50"}


class TaxTable:
    """The account's taxes (the world's): ids in table order, found by name or percent."""

    def __init__(self, taxes: tuple[TaxRate, ...]) -> None:
        self.taxes = taxes

    def id_of(self, name: str) -> int:
        """The tax's id, 0 (no tax) when the account has none of that name."""
        names = [tax.name for tax in self.taxes]
        return TAX_BASE + 1 + names.index(name) if name in names else 0

    def for_percent(self, percent: Decimal) -> TaxRate | None:
        return next((tax for tax in self.taxes if tax.percent == percent), None)


def line_tax(tax: TaxRate) -> tuple[str, Decimal, str | None]:
    return tax.name, tax.percent, tax.number


def blank(data: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """`data` with `fields` null: optional fields this account never fills."""
    data.update(dict.fromkeys(fields))
    return data


def client_id(company_index: int) -> int:
    return CLIENT_BASE + 1 + company_index


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _vis_state(seed: int, kind: str, index: int, archived: float, deleted: float) -> int:
    roll = random.Random(f"{seed}:freshbooks:vis:{kind}:{index}").random()
    if roll < deleted:
        return 1
    if roll < deleted + archived:
        return 2
    return 0


class Loader:
    def __init__(self, db: Database, world: World) -> None:
        self.db = db
        self.world = world
        self.options = world.options
        self.seed = world.seed
        self.anchor = world.anchor
        self.tax_table = TaxTable(world.taxes)
        self.clients: dict[int, dict[str, Any]] = {}
        self.categories: dict[str, int] = {}

    def run(self) -> None:
        self.db.script(schema_sql())
        with self.db.transaction():
            self._taxes()
            self._categories()
            self._clients()
            self._items()
        self._sales()
        self._expenses()
        with self.db.transaction():
            self._bills()
        self.db.script(index_sql() + "analyze;")

    # --- helpers -------------------------------------------------------------------------------
    def _insert(self, resource: Resource, rows: list[Record]) -> None:
        if self._empty(resource):
            return
        self.db.executemany(insert_sql(resource), [insert_row(resource, r) for r in rows])

    def _empty(self, resource: Resource) -> bool:
        return self.options.is_empty(f"freshbooks.{RAW_TABLES[resource.name]}")

    def _nulls(self, entity: str) -> frozenset[str]:
        return self.options.nulls(f"freshbooks.{entity}")

    def _clamp(self, moment: datetime) -> datetime:
        return min(moment, self.anchor)

    # --- reference data ------------------------------------------------------------------------
    def _established(self, days: int) -> str:
        """A stored stamp `days` before the history's first year: when the account was set up."""
        return stored(self.anchor - self.world.extra_history - timedelta(days=days))

    def _taxes(self) -> None:
        created = self._established(700)
        rows = [
            Record(
                self.tax_table.id_of(tax.name),
                0,
                created,
                created,
                {
                    "name": tax.name,
                    "amount": number_text(tax.percent),
                    "compound": False,
                    "number": tax.number,
                },
            )
            for tax in self.tax_table.taxes
        ]
        self._insert(TAXES, rows)

    def _categories(self) -> None:
        created = self._established(700)
        rows = []
        for i, name in enumerate(self.world.expense_categories):
            self.categories[name] = CATEGORY_BASE + 1 + i
            data = {"category": name, "parentid": None, "is_cogs": False}
            rows.append(Record(CATEGORY_BASE + 1 + i, 0, created, created, data))
        self._insert(CATEGORIES, rows)

    def _clients(self) -> None:
        companies = self.world.freshbooks_companies()
        states = self._client_states(companies)
        rows = []
        for company in companies:
            rng = random.Random(f"{self.seed}:freshbooks:client:{company.index}")
            data = records.client_data(self._client_fields(company, rng))
            blank(data, self._nulls("clients"))
            self.clients[company.index] = data
            state = states.get(company.index, 0)
            created = company.created_at
            updated = self._clamp(
                created + timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 900))
            )
            rows.append(
                Record(client_id(company.index), state, stored(updated), stored(created), data)
            )
        self._insert(CLIENTS, rows)

    def _client_states(self, companies: list[Company]) -> dict[int, int]:
        """At least one deleted and two archived clients at any scale (never the planted
        duplicate pair, which must stay visible)."""
        candidates = [c.index for c in companies[1:-1]]
        rng = random.Random(f"{self.seed}:freshbooks:client-states")
        chosen = rng.sample(
            candidates, max(1, len(candidates) // 25) + max(2, len(candidates) // 12)
        )
        deleted = max(1, len(candidates) // 25)
        return {index: 1 if n < deleted else 2 for n, index in enumerate(chosen)}

    @staticmethod
    def _client_fields(company: Company, rng: random.Random) -> dict[str, Any]:
        return {
            "fname": company.first_name,
            "lname": company.last_name,
            "organization": company.organization,
            "email": company.email,
            "username": records.username(rng),
            "uuid": _uuid(rng),
            "currency_code": company.currency,
            "bus_phone": company.phone,
            "p_street": company.street,
            "p_city": company.city,
            "p_province": company.region,
            "p_code": company.postal_code,
            "p_country": COUNTRY_NAMES[company.country],
            "vat_name": "Tax ID",
            "vat_number": company.tax_number,
            # FreshBooks has no client type: businesses record it as size and industry.
            "company_size": COMPANY_SIZES[company.client_type],
            "company_industry": "Non-profit" if company.client_type == "Nonprofit" else None,
        }

    def _items(self) -> None:
        rows = []
        sales_tax = self.tax_table.id_of("Sales Tax")
        for i, product in enumerate(self.world.products):
            rng = random.Random(f"{self.seed}:freshbooks:item:{i}")
            data = records.item_data(
                {
                    "name": product.name,
                    "description": product.description,
                    "sku": product.sku,
                    "qty": "0" if product.is_service else str(rng.randint(0, 400)),
                    "unit_cost": money(product.unit_price, records.BASE_CURRENCY),
                    "tax1": sales_tax if product.taxable else 0,
                }
            )
            blank(data, self._nulls("items"))
            state = 0 if product.is_service else _vis_state(self.seed, "item", i, 0.05, 0.03)
            created = (
                self.anchor
                - self.world.extra_history
                - timedelta(days=500 - i % 400, minutes=rng.randint(0, 900))
            )
            updated = self._clamp(created + timedelta(days=rng.randint(0, 90)))
            rows.append(Record(ITEM_BASE + 1 + i, state, stored(updated), stored(created), data))
        self._insert(ITEMS, rows)

    # --- sales ---------------------------------------------------------------------------------
    def _sales(self) -> None:
        if self._empty(INVOICES):
            return
        payment_id = PAYMENT_BASE
        credit_id = CREDIT_NOTE_BASE
        for batch in _batches(self.world.iter_sales(), BATCH):
            invoices, lines, payments, credits = [], [], [], []
            for sale in batch:
                invoice, invoice_lines, sale_payments = self._invoice(sale, payment_id)
                payment_id += len(sale_payments)
                invoices.append(invoice)
                lines.extend((invoice.id, line["lineid"], dumps(line)) for line in invoice_lines)
                payments.extend(sale_payments)
                if sale.index % 50 == 7 and sale_payments:
                    credit_id += 1
                    credits.append(self._credit_note(credit_id, sale, invoice))
            with self.db.transaction():
                self._insert(INVOICES, invoices)
                self._insert(PAYMENTS, payments)
                self._insert(CREDIT_NOTES, credits)
                self.db.executemany(
                    "insert into invoice_lines (invoiceid, lineid, data) values (?, ?, ?)", lines
                )

    def _invoice(self, sale: Sale, next_payment_id: int) -> tuple[Record, list[dict], list[Record]]:
        rng = random.Random(f"{self.seed}:freshbooks:invoice:{sale.index}")
        invoice_id = INVOICE_BASE + 1 + sale.index
        created = sale.created_at
        fields = {
            "customerid": client_id(sale.company_index),
            "create_date": sale.issued_on.isoformat(),
            "due_offset_days": (sale.due_on - sale.issued_on).days,
            "currency_code": sale.currency,
            "po_number": sale.po_number or None,
        }
        data = invoicing.new_invoice_data(self.clients[sale.company_index], fields)
        data["invoice_number"] = sale.number
        data["uuid"] = _uuid(rng)
        blank(data, self._nulls("invoices"))
        # Each line carries the taxes the world priced it with (the client's, by default).
        line_nulls = self._nulls("invoices__lines")
        lines = [
            blank(
                invoicing.make_line(
                    invoice_id, n, name=line.name, description=line.description,
                    qty=line.quantity, unit_cost=line.unit_price, currency=sale.currency,
                    updated=stored(created), taxes=tuple(map(line_tax, line.taxes)),
                ),
                line_nulls,
            )
            for n, line in enumerate(sale.lines, start=1)
        ]  # fmt: skip
        invoicing.apply_totals(data, lines)
        if sale.sent:
            invoicing.mark_sent(data)

        payments: list[Record] = []
        last_change = sale.updated_at
        paid_by = () if self._empty(PAYMENTS) else sale.payments
        payment_nulls = self._nulls("payments")
        for payment in paid_by:
            paid_at = self._clamp(
                datetime.combine(payment.paid_on, time(rng.randint(13, 22), rng.randint(0, 59)))
            )
            online = payment.gateway in ONLINE_GATEWAYS
            payment_data = records.payment_data(
                {
                    "invoiceid": invoice_id,
                    "clientid": fields["customerid"],
                    "amount": money(payment.amount, sale.currency),
                    "date": payment.paid_on.isoformat(),
                    "type": payment.payment_type,
                    "gateway": payment.gateway if online else None,
                    "transactionid": f"txn_{rng.getrandbits(48):012x}" if online else None,
                }
            )
            blank(payment_data, payment_nulls)
            payments.append(
                Record(
                    next_payment_id + len(payments) + 1,
                    0,
                    stored(paid_at),
                    stored(paid_at),
                    payment_data,
                )
            )
            last_change = max(last_change, paid_at)
            if random.Random(f"{self.seed}:freshbooks:dup-payment:{sale.index}").random() < 0.03:
                # A payment entered twice and then deleted: visible only with vis_state=1.
                duplicate = {**payment_data, "note": "Entered twice", "transactionid": None}
                removed_at = paid_at + timedelta(minutes=rng.randint(5, 600))
                payments.append(
                    Record(
                        next_payment_id + len(payments) + 1,
                        1,
                        stored(removed_at),
                        stored(paid_at),
                        duplicate,
                    )
                )
        paid = sum((p.amount for p in paid_by), ZERO)
        last_date = max((p.paid_on.isoformat() for p in paid_by), default=None)
        invoicing.settle(data, paid, last_date)

        state = 0
        if sale.index != self.world.invoice_count // 2:  # the planted outlier stays visible
            if data["payment_status"] == "paid":
                state = 2 if _vis_state(self.seed, "invoice", sale.index, 0.06, 0) == 2 else 0
            elif not paid_by:
                state = 1 if _vis_state(self.seed, "invoice", sale.index, 0, 0.03) == 1 else 0
        updated = stored(last_change)
        return Record(invoice_id, state, updated, stored(created), data), lines, payments

    def _credit_note(self, credit_id: int, sale: Sale, invoice: Record) -> Record:
        data = invoice.data
        amount = cents(sale.subtotal / 10)
        created = self._clamp(sale.created_at + timedelta(days=12))
        line = {
            "lineid": 1,
            "type": 0,
            "name": "Goodwill credit",
            "description": f"10% goodwill credit on invoice {data['invoice_number']}",
            "qty": "1",
            "unit_cost": money(amount, sale.currency),
            "amount": money(amount, sale.currency),
            "taxName1": "",
            "taxAmount1": "0",
            "taxName2": "",
            "taxAmount2": "0",
            "updated": stored(created),
        }
        note = {
            "credit_number": f"CN-{credit_id - CREDIT_NOTE_BASE:05d}",
            "credit_type": "goodwill",
            "clientid": data["customerid"],
            "create_date": created.date().isoformat(),
            "currency_code": sale.currency,
            "amount": money(amount, sale.currency),
            "paid": money(ZERO, sale.currency),
            "status": "created",
            "display_status": "created",
            "payment_status": "unpaid",
            "payment_type": "",
            "description": line["description"],
            "notes": "",
            "terms": None,
            "language": "en",
            **{k: data[k] for k in ("fname", "lname", "organization", "street", "street2",
                                     "city", "province", "code", "country")},
            "lines": [line],
        }  # fmt: skip
        return Record(credit_id, 0, stored(created), stored(created), note)

    # --- expenses ------------------------------------------------------------------------------
    def _expenses(self) -> None:
        if self._empty(EXPENSES):
            return
        # Without clients, billable expenses have no one to bill: they stay the business's own.
        billable = not self._empty(CLIENTS)
        nulls = self._nulls("expenses")
        for batch in _batches(self.world.iter_expenses(), BATCH):
            rows = []
            for expense in batch:
                tax = self.tax_table.for_percent(expense.tax_percent)
                tax = tax if expense.tax_percent else None
                client = (
                    client_id(expense.company_index)
                    if expense.company_index is not None and billable
                    else 0
                )
                data = records.expense_data(
                    {
                        "categoryid": self.categories[expense.category],
                        "clientid": client,
                        "billable": bool(client),
                        "date": expense.spent_on.isoformat(),
                        "amount": money(expense.amount, expense.currency),
                        "vendor": expense.vendor,
                        "notes": expense.notes,
                        "taxName1": tax.name if tax else None,
                        "taxAmount1": money(expense.tax_amount, expense.currency) if tax else None,
                        "taxPercent1": number_text(expense.tax_percent) if tax else None,
                    }
                )
                blank(data, nulls)
                planted = expense.index == 7  # the expense in the unmapped category stays visible
                state = (
                    0 if planted else _vis_state(self.seed, "expense", expense.index, 0.05, 0.03)
                )
                record_id = EXPENSE_BASE + 1 + expense.index
                rows.append(
                    Record(
                        record_id,
                        state,
                        stored(expense.updated_at),
                        stored(expense.created_at),
                        data,
                    )
                )
            with self.db.transaction():
                self._insert(EXPENSES, rows)

    # --- bills, their vendors and payments: after everything else, so nothing else moves ---------
    def _bills(self) -> None:
        suppliers = [s for s in self.world.p2p_suppliers if s.in_freshbooks]
        self._insert(BILL_VENDORS, [self._vendor(s) for s in suppliers])
        if self._empty(BILL_VENDORS) or self._empty(BILLS):
            return
        currency = {s.index: s.currency for s in suppliers}
        rows, payments = [], []
        for bill in self.world.iter_bills():
            record = self._bill(bill, currency[bill.supplier_index])
            rows.append(record)
            code = record.data["currency_code"]
            for payment in bill.payments:
                paid = datetime.combine(payment.paid_on, time(15)) + timedelta(minutes=bill.index)
                data = bills.payment_data(
                    {
                        "billid": record.id,
                        "amount": money(payment.amount, code),
                        "payment_type": payment.payment_type,
                        "paid_date": payment.paid_on.isoformat(),
                        "note": "",
                    }
                )
                stamp = stored(self._clamp(paid))
                payments.append(
                    Record(BILL_PAYMENT_BASE + 1 + payment.index, 0, stamp, stamp, data)
                )
        self._insert(BILLS, rows)
        self._insert(BILL_PAYMENTS, payments)

    def _vendor(self, supplier: P2PSupplier) -> Record:
        data = bills.vendor_data(
            {
                "vendor_name": supplier.freshbooks_name,
                "currency_code": supplier.currency,
                "account_number": supplier.account_number,
                "phone": supplier.phone,
                "street": supplier.street,
                "city": supplier.city,
                "province": supplier.region,
                "postal_code": supplier.postal_code,
                "country": COUNTRY_NAMES[supplier.country],
                "primary_contact_email": supplier.email,
                "primary_contact_first_name": supplier.contact_first,
                "primary_contact_last_name": supplier.contact_last,
            }
        )
        created = stored(supplier.created_at)
        return Record(vendor_id(supplier.index), 0, created, created, data)

    def _bill(self, bill: Bill, currency: str) -> Record:
        lines = [
            bills.make_line(
                n,
                categoryid=self.categories[line.category],
                category=line.category,
                description=line.description,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                currency=currency,
                taxes=((line.tax.name, line.tax.percent),) if line.tax else (),
            )
            for n, line in enumerate(bill.lines, start=1)
        ]
        data = bills.new_bill_data(
            {
                "vendorid": vendor_id(bill.supplier_index),
                "issue_date": bill.issued_on.isoformat(),
                "due_offset_days": bill.due_days,
                "bill_number": bill.number,
                "overall_category": bill.lines[0].category,
                "overall_description": bill.lines[0].description,
                "lines": lines,
            },
            {"currency_code": currency, "language": "en"},
        )
        paid = sum((payment.amount for payment in bill.payments), ZERO)
        bills.apply_totals(data, paid)
        return Record(
            BILL_BASE + 1 + bill.index,
            1 if bill.deleted else 0,
            stored(bill.updated_at),
            stored(bill.created_at),
            data,
        )


def vendor_id(supplier_index: int) -> int:
    return VENDOR_BASE + 1 + supplier_index


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_world(db: Database, world: World) -> None:
    """Replace every accounting table with the world's records."""
    Loader(db, world).run()
