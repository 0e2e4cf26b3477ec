"""Fill the emulated M3 company from the shared `World`: what the ERP already knows before a sync.

Customers are the world's ERP companies (CUNO = `infor_customer_number`, CUNM = the ERP's own
spelling) plus a few customers only the ERP has; items are the world's products. The history is
ERP-native: customer orders with the ERP's own customer PO numbers (never FreshBooks invoice
numbers), shipped, invoiced and partly paid by age; a chart of accounts with one blocked account;
monthly GL vouchers; suppliers named after the world's expense vendors, with a few purchase orders.
Procure to pay comes last: the world's suppliers of goods (their AP contacts in CIDREF), purchase
orders received in whole, in part or not yet, the supplier invoices entered for some (approved and
booked in AP, a few paid), and one entered invoice that does not balance.
Everything is derived from (seed, scale, options), stamped with its historical time, in the
tenant's codes. The options decide how many years the orders and vouchers span, which entities
stay empty (and how far the order lifecycle goes without them), which optional fields stay
blank, and whether customers and items carry the VAT codes of taxed invoices.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sandbox.generator import (
    PLANTED_UNBALANCED_BILL,
    VENDORS,
    P2PSupplier,
    Product,
    PurchaseOrder,
    World,
)
from sandbox.infor import lifecycle, payables, receivables
from sandbox.infor.company import (
    CONO,
    INVOICE_APPROVED,
    INVOICE_ENTERED,
    PO_ENTERED,
    PO_PART_RECEIVED,
    PO_RECEIVED,
    SEED_USER,
    STATUS_ENTERED,
)
from sandbox.infor.orderbook import Order, totals
from sandbox.infor.programs import customers as customer_program
from sandbox.infor.programs import ledger, purchasing, supplier_invoices
from sandbox.infor.programs.orders import confirm, insert_order, new_head, new_line
from sandbox.infor.store import Store, stamp_at, touch
from sandbox.infor.tenant import Tenant
from sandbox.infor.values import CENT, amount, quantity, ymd

# (account, name, group, kind): kind B = balance sheet, P = profit and loss; AR/AP flags follow.
CHART_OF_ACCOUNTS = (
    ("1010", "Operating bank account USD", "ASSETS", "B"),
    ("1020", "Operating bank account CAD", "ASSETS", "B"),
    ("1100", "Cash clearing", "ASSETS", "B"),
    ("1200", "Accounts receivable", "ASSETS", "AR"),
    ("1300", "Inventory", "ASSETS", "B"),
    ("1400", "Prepaid expenses", "ASSETS", "B"),
    ("1500", "Equipment", "ASSETS", "B"),
    ("2000", "Accounts payable", "LIABIL", "AP"),
    ("2100", "Accrued liabilities", "LIABIL", "B"),
    ("2200", "Sales tax payable", "LIABIL", "B"),
    ("2300", "Credit card payable", "LIABIL", "B"),
    ("3000", "Owner's equity", "EQUITY", "B"),
    ("3100", "Retained earnings", "EQUITY", "B"),
    ("4000", "Product sales", "REVENUE", "P"),
    ("4100", "Service revenue", "REVENUE", "P"),
    ("4900", "Sales discounts", "REVENUE", "P"),
    ("5000", "Cost of goods sold", "COGS", "P"),
    ("6000", "Advertising", "EXPENSE", "P"),
    ("6100", "Car and truck expenses", "EXPENSE", "P"),
    ("6150", "Contractors", "EXPENSE", "P"),
    ("6200", "Education and training", "EXPENSE", "P"),
    ("6250", "Employee benefits", "EXPENSE", "P"),
    ("6300", "Meals and entertainment", "EXPENSE", "P"),
    ("6350", "Office expenses and postage", "EXPENSE", "P"),
    ("6400", "Other expenses", "EXPENSE", "P"),
    ("6450", "Professional services", "EXPENSE", "P"),
    ("6500", "Rent or lease", "EXPENSE", "P"),
    ("6550", "Supplies", "EXPENSE", "P"),
    ("6600", "Travel", "EXPENSE", "P"),
    ("6650", "Utilities", "EXPENSE", "P"),
    ("6700", "Software and subscriptions", "EXPENSE", "P"),
    ("6800", "Bank fees", "EXPENSE", "P"),
    ("6900", "Payroll expenses", "EXPENSE", "P"),
    ("6990", "Miscellaneous expenses (closed)", "EXPENSE", "P"),
)
BLOCKED_ACCOUNTS = frozenset({"6990"})  # closed account: postings to it are refused
COST_CENTERS = (("100", "Administration"), ("200", "Sales"), ("300", "Operations"))
ERP_ONLY_CUSTOMERS = (
    ("NORTHWIND DISTRIBUTION INCORPORATED", "Chicago", "IL", "US", "60601"),
    ("CONTOSO WHOLESALE LIMITED", "Toronto", "ON", "CA", "M5V 2A1"),
    ("FABRIKAM INDUSTRIAL SUPPLY LLC", "Denver", "CO", "US", "80202"),
    ("TAILSPIN TOYS CORP", "Seattle", "WA", "US", "98101"),
    ("ADVENTURE WORKS CYCLES GROUP", "Portland", "OR", "US", "97201"),
    ("WINGTIP RETAIL COMPANY", "Boston", "MA", "US", "02110"),
)
MONTHLY_JOURNALS = (
    ("6500", "Office rent", Decimal("4200"), "1010"),
    ("6900", "Payroll", Decimal("38000"), "1010"),
    ("6650", "Utilities", Decimal("900"), "2000"),
    ("6700", "Software subscriptions", Decimal("1250"), "2300"),
    ("6450", "Accounting services", Decimal("1800"), "2000"),
)
# How far the seeded order history goes: entities left empty stop the lifecycle before them.
CONFIRMED, SHIPPED, PAID = 1, 2, 3


def load_world(store: Store, world: World) -> None:
    store.create()
    anchor = world.anchor.replace(tzinfo=UTC)
    has = _has(world)
    with store.db.transaction():
        if has("chart_of_accounts"):
            _accounts(store, world, anchor)
        _banks(store, world, anchor)
        items = _items(store, world, anchor) if has("items") else {}
        customers = _customers(store, world, anchor) if has("customers") else []
        suppliers = _suppliers(store, world, anchor) if has("suppliers") else []
        if suppliers and items:
            _purchase_orders(store, world, anchor, suppliers, items)
        if has("customer_orders"):
            _orders(store, world, anchor, customers, items)
        if has("gl_voucher_lines"):
            _journals(store, world, anchor)
        # Procure to pay last: the rest of the company's records and numbers stay as they were.
        if has("suppliers"):
            _procurement(store, world, anchor, items)


def _has(world: World) -> Callable[[str], bool]:
    """Whether an M3 entity has rows in this world (see `SandboxOptions.empty`)."""
    return lambda entity: not world.options.is_empty(f"infor.{entity}")


def _established(world: World, anchor: datetime, days: float) -> datetime:
    """`days` before the history's first year: when set-up and master data were entered."""
    return anchor - world.extra_history - timedelta(days=days)


def _blank(world: World, entity: str, fields: dict[str, str]) -> dict[str, str]:
    """`fields` with the entity's optional fields this tenant never fills left blank."""
    fields.update(dict.fromkeys(world.options.nulls(f"infor.{entity}"), ""))
    return fields


def _accounts(store: Store, world: World, anchor: datetime) -> None:
    tenant = store.tenant
    stamp = stamp_at(_established(world, anchor, 720))
    rows = []
    for number, name, group, kind in CHART_OF_ACCOUNTS:
        code = tenant.account(number)
        doc = {
            "CONO": CONO,
            "DIVI": "",
            "AITP": "1",
            "AITM": code,
            "TX40": name,
            "TX15": name[:15],
            "AICL": group,
            "AT01": "1" if kind in ("B", "AR", "AP") else "0",
            "AT02": "1" if kind == "P" else "0",
            "AT03": "1" if kind == "AR" else "0",
            "AT11": "1" if kind == "AP" else "0",
            "LCCD": "1" if number in BLOCKED_ACCOUNTS else "0",
            "VFDT": "20200101",
            "VTDT": "",
            "CUCD": "",
        }
        touch(doc, stamp, SEED_USER, new=True)
        rows.append((1, code, doc))
    for code, name in COST_CENTERS:
        doc = {"CONO": CONO, "DIVI": "", "AITP": "2", "AITM": code, "TX40": name, "TX15": name[:15]}
        doc.update(
            AICL="COSTCTR", LCCD="0", VFDT="20200101", AT01="0", AT02="0", AT03="0", AT11="0"
        )
        touch(doc, stamp, SEED_USER, new=True)
        rows.append((2, code, doc))
    store.insert_many("accounts", ("aitp", "aitm"), rows)


def _banks(store: Store, world: World, anchor: datetime) -> None:
    stamp = stamp_at(_established(world, anchor, 720))
    for bsid, bkid, currency in store.tenant.banks:
        doc = {"CONO": CONO, "DIVI": store.tenant.divi, "BSID": bsid, "BKID": bkid}
        doc.update(STAT="20", BSTY="1")
        doc["_CUCD"] = currency  # the statement currency this bank account takes
        touch(doc, stamp, SEED_USER, new=True)
        store.insert("bank_ids", {"bsid": bsid}, doc)


def _items(store: Store, world: World, anchor: datetime) -> dict[str, dict[str, str]]:
    tenant = store.tenant
    items: dict[str, dict[str, str]] = {}
    rows, balances = [], []
    for index, product in enumerate(world.products):
        rng = random.Random(f"{world.seed}:infor-item:{index}")
        created = _established(world, anchor, 600 - index % 200) - timedelta(
            minutes=rng.randint(0, 900)
        )
        doc = {
            "CONO": CONO,
            "STAT": "20",
            "ITNO": product.sku,
            "ITDS": product.name[:30],
            "FUDS": product.description[:60],
            "UNMS": "HR" if product.sku == "SVC-CONSULT" else "EA",
            "ITTY": "SRV" if product.is_service else "FIN",
            "ITGR": "SERVICE" if product.is_service else product.sku.split("-")[0],
            "ITCL": "SRV" if product.is_service else "GDS",
            "RESP": SEED_USER,
            "MABU": "2" if product.is_service else "1",
            "CUCD": tenant.local_currency,
            "SPUN": "EA",
            "PUUN": "EA",
            "_SAPR": amount(product.unit_price),
            "_PUPR": amount(product.unit_price * Decimal("0.6")),
            **_item_vat(world, tenant, product),
        }
        touch(doc, stamp_at(created), SEED_USER, new=True)
        if rng.random() < 0.3:  # some items were maintained since
            touch(doc, stamp_at(anchor - timedelta(days=rng.randint(1, 120))), SEED_USER)
        items[product.sku] = doc
        rows.append((product.sku, doc["LMDT"], int(doc["LMTS"]), doc))
        if not product.is_service:
            on_hand = rng.randint(20, 500)
            balance = {"CONO": CONO, "WHLO": tenant.whlo, "ITNO": product.sku}
            balance.update(
                FACI=tenant.faci, STQT=str(on_hand), ALQT="0", AV01=str(on_hand),
                AVAL=str(on_hand), ORQT="0",
            )  # fmt: skip
            balances.append((tenant.whlo, product.sku, balance))
    store.insert_many("items", ("itno", "lmdt", "lmts"), rows)
    store.insert_many("item_balances", ("whlo", "itno"), balances)
    return items


def _item_vat(world: World, tenant: Tenant, product: Product) -> dict[str, str]:
    """Products never taxed carry the exempt sales VAT code when invoices are taxed; the others
    take their customer's."""
    return {"VTCS": tenant.exempt_vat_code} if world.options.taxed and not product.taxable else {}


def _customer_vat(world: World, tenant: Tenant, region: str) -> dict[str, str]:
    """With taxed invoices a customer pays its province's or state's VAT code; otherwise the
    template's."""
    return {"VTCD": tenant.region_vat_codes[region]} if world.options.taxed else {}


def _customers(store: Store, world: World, anchor: datetime) -> list[dict[str, str]]:
    tenant = store.tenant
    seeded = []
    for company in world.infor_companies():
        rng = random.Random(f"{world.seed}:infor-customer:{company.index}")
        fields = {
            "CUNM": company.infor_name[:36],
            "CUA1": company.street[:36],
            "TOWN": company.city[:20],
            "ECAR": company.region[:2],
            "PONO": company.postal_code[:10],
            "CSCD": company.country,
            "PHNO": company.phone[:16],
            "MAIL": company.email[:50],
            "YREF": f"{company.first_name} {company.last_name}"[:30],
            "ALCU": company.name.upper().replace(" ", "")[:10],
            "CUCD": company.currency,
            "VRNO": company.tax_number[:16],
            "CUCL": tenant.customer_group(company.client_type),
            "CRLM": str(rng.choice((5000, 10000, 25000, 50000))),
            **_customer_vat(world, tenant, company.region),
        }
        created = company.created_at.replace(tzinfo=UTC)
        changed = created + timedelta(days=rng.randint(0, 200)) if rng.random() < 0.4 else None
        _blank(world, "customers", fields)
        seeded.append(
            _customer(company.infor_customer_number, fields, created, changed, anchor, tenant)
        )
    extra_count = max(3, round(3 * world.scale**0.5))
    for index in range(extra_count):
        name, city, region, country, postal = ERP_ONLY_CUSTOMERS[index % len(ERP_ONLY_CUSTOMERS)]
        rng = random.Random(f"{world.seed}:infor-erp-customer:{index}")
        suffix = (
            "" if index < len(ERP_ONLY_CUSTOMERS) else f" {index // len(ERP_ONLY_CUSTOMERS) + 1}"
        )
        fields = {
            "CUNM": (name[: 36 - len(suffix)] + suffix),
            "CUA1": f"{rng.randint(100, 9999)} Commerce Way",
            "TOWN": city,
            "ECAR": region,
            "PONO": postal,
            "CSCD": country,
            "PHNO": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "MAIL": f"ap{index}@{name.split()[0].lower()}.example",
            "CUCD": "CAD" if country == "CA" else "USD",
            "CUCL": tenant.customer_group("Enterprise"),
            "CRLM": "100000",
            **_customer_vat(world, tenant, region),
        }
        created = _established(world, anchor, 700 - index)
        _blank(world, "customers", fields)
        seeded.append(_customer(f"C9{index:05d}", fields, created, None, anchor, tenant))
    rows = [(doc["CUNO"], doc["CUNM"], int(doc["LMTS"]), doc) for doc in seeded]
    store.insert_many("customers", ("cuno", "cunm", "lmts"), rows)
    return seeded


def _customer(
    cuno: str,
    fields: dict[str, str],
    created: datetime,
    changed: datetime | None,
    anchor: datetime,
    tenant: Tenant,
) -> dict[str, str]:
    template = tenant.templates[tenant.template_for(fields["CUCD"])]
    doc = customer_program.customer_doc(cuno, fields, template, tenant)
    touch(doc, stamp_at(created), SEED_USER, new=True)
    if changed is not None:
        touch(doc, stamp_at(min(changed, anchor)), SEED_USER)
    return doc


def _suppliers(store: Store, world: World, anchor: datetime) -> list[dict[str, str]]:
    suppliers, rows = [], []
    for index, vendor in enumerate(VENDORS):
        rng = random.Random(f"{world.seed}:infor-supplier:{index}")
        suno = f"S{1001 + index}"
        doc = {
            "CONO": CONO,
            "SUNO": suno,
            "SUNM": vendor[:36],
            "SUTY": "0",
            "ALSU": vendor.upper().replace(" ", "")[:10],
            "STAT": "20",
            "LNCD": "GB",
            "CSCD": "US",
            "PHNO": f"+1-800-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "CUCD": store.tenant.local_currency,
            "CRTP": "1",
            "TEPY": rng.choice(("15", "30", "45")),
            "PYME": "BT",
            "ORTY": "PP1",
            "SUCL": "EXP",
            "VRNO": f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}",
            "DTFM": "YMD",
        }
        _blank(world, "suppliers", doc)
        touch(doc, stamp_at(_established(world, anchor, 500 - index * 7)), SEED_USER, new=True)
        if rng.random() < 0.3:
            touch(doc, stamp_at(anchor - timedelta(days=rng.randint(1, 90))), SEED_USER)
        suppliers.append(doc)
        rows.append((suno, int(doc["LMTS"]), doc))
    store.insert_many("suppliers", ("suno", "lmts"), rows)
    return suppliers


def _purchase_orders(
    store: Store,
    world: World,
    anchor: datetime,
    suppliers: list[dict[str, str]],
    items: dict[str, dict[str, str]],
) -> None:
    goods = [item for item in items.values() if item["ITTY"] != "SRV"]
    for index in range(max(3, round(6 * world.scale**0.5))):
        rng = random.Random(f"{world.seed}:infor-po:{index}")
        supplier = rng.choice(suppliers)
        ordered = anchor - timedelta(days=rng.randint(1, 300), hours=rng.randint(0, 8))
        puno = str(store.next_number("purchase_order", 2000000001))
        received = (anchor - ordered).days > 20
        status = "85" if received else "20"
        head = _po_head(store, puno, supplier, ordered, "PP1")
        lines = []
        for pnli in range(1, rng.randint(1, 3) + 1):
            item = rng.choice(goods)
            qty = Decimal(rng.choice((10, 20, 50, 100)))
            line = _po_line(
                head,
                pnli,
                item,
                qty,
                Decimal(item["_PUPR"]),
                status,
                qty if received else Decimal(0),
                head["DWDT"] if received else "",
            )
            touch(line, stamp_at(ordered), SEED_USER, new=True)
            lines.append(line)
        purchasing.po_totals(head, lines)
        touch(head, stamp_at(ordered), SEED_USER, new=True)
        purchasing.insert_purchase_order(store, head, lines)


def _po_head(
    store: Store, puno: str, supplier: dict[str, str], ordered: datetime, orty: str
) -> dict[str, str]:
    return {
        "CONO": CONO,
        "DIVI": store.tenant.divi,
        "PUNO": puno,
        "SUNO": supplier["SUNO"],
        "FACI": store.tenant.faci,
        "WHLO": store.tenant.whlo,
        "ORTY": orty,
        "PUDT": ymd(ordered),
        "DATE": ymd(ordered),
        "DWDT": ymd(ordered + timedelta(days=14)),
        "CUCD": supplier["CUCD"],
        "TEPY": supplier["TEPY"],
        "BUYE": SEED_USER,
        "LNCD": "GB",
    }


def _po_line(
    head: dict[str, str],
    pnli: int,
    item: dict[str, str],
    qty: Decimal,
    price: Decimal,
    status: str,
    received: Decimal,
    received_on: str,
) -> dict[str, str]:
    return {
        "CONO": CONO,
        "PUNO": head["PUNO"],
        "PNLI": str(pnli),
        "PNLS": "0",
        "ITNO": item["ITNO"],
        "ITDS": item["ITDS"],
        "SUNO": head["SUNO"],
        "FACI": head["FACI"],
        "WHLO": head["WHLO"],
        "ORQA": quantity(qty),
        "ORQT": quantity(qty),
        "PUPR": amount(price),
        "LNAM": amount(qty * price),
        "PUUN": "EA",
        "PPUN": "EA",
        "DWDT": head["DWDT"],
        "CODT": head["DWDT"],
        "PUSL": status,
        "PUST": status,
        "RVQA": quantity(received) if received else "0",
        "IVQA": "0",
        "RCDT": received_on,
    }


def _orders(
    store: Store,
    world: World,
    anchor: datetime,
    customers: list[dict[str, str]],
    items: dict[str, dict[str, str]],
) -> None:
    """ERP-native order history, moved along the lifecycle according to its age: one year of it
    per year of history, oldest first."""
    tenant = store.tenant
    products = list(items.values())
    stage = _furthest_stage(world)
    per_year = max(12, round(40 * world.scale))
    count = per_year * world.history_years
    for index in range(count):
        rng = random.Random(f"{world.seed}:infor-order:{index}")
        customer = customers[rng.randrange(len(customers))]
        # Within each year older orders thin out: the last few are days old, so every
        # lifecycle stage is present.
        years_back = world.history_years - 1 - index // per_year
        position = (index % per_year) / per_year
        ordered = anchor - timedelta(
            days=365 * (years_back + (1 - position) ** 1.5), hours=rng.randint(0, 10)
        )
        head = new_head(
            customer,
            {"CUOR": f"PO-{rng.randint(10000, 99999)}", "RLDT": ymd(ordered + timedelta(days=7))},
            ymd(ordered),
            tenant,
        )
        lines = []
        for ponr in range(1, rng.choice((1, 1, 2, 2, 3, 4)) + 1):
            item = products[rng.randrange(len(products))]
            qty = Decimal(rng.choice((1, 2, 3, 5, 10, 12)))
            lines.append(new_line(head, item, ponr, qty, Decimal(item["_SAPR"]), {}, tenant))
        head.update(totals(lines, tenant))
        head["_BSTAT"] = STATUS_ENTERED
        touch(head, stamp_at(ordered), SEED_USER, new=True)
        batch_no = str(store.next_number("batch_order", 9000000001))
        insert_order(store, batch_no, head, lines)
        order = Order(batch_no, head, lines)
        confirm(store, order, stamp_at(ordered + timedelta(minutes=30)), SEED_USER)
        age_days = (anchor - ordered).days
        if age_days <= 3 or stage < SHIPPED:
            continue
        shipped = ordered + timedelta(days=rng.randint(1, 3), hours=rng.randint(1, 6))
        lifecycle.ship(store, order, stamp_at(shipped), SEED_USER)
        if age_days <= 7 or stage < PAID:
            continue
        invoiced = shipped + timedelta(hours=rng.randint(2, 30))
        invoice = lifecycle.invoice(store, order, stamp_at(invoiced), SEED_USER)
        if age_days <= 30:
            continue
        roll = rng.random()
        if roll >= 0.8:
            continue  # still open, some of it overdue
        gross = Decimal(invoice["AMT1"])
        paid = gross if roll < 0.7 else (gross / 2).quantize(CENT)
        paid_at = min(invoiced + timedelta(days=rng.randint(5, 40)), anchor)
        open_item = receivables.invoice_item(store, invoice["IVNO"], int(invoice["YEA4"]))
        if open_item is not None:
            receivables.apply_payment(
                store,
                invoice=open_item,
                amount_paid=paid,
                payment_date=ymd(paid_at),
                stamp=stamp_at(paid_at),
                user=SEED_USER,
                text=receivables.receipt_text(
                    tenant.receipt_text,
                    statement="LOCKBOX",
                    bank_reference="",
                    paid_on=ymd(paid_at),
                ),
            )


def _furthest_stage(world: World) -> int:
    """How far seeded orders go: no deliveries stops them confirmed, no invoices shipped."""
    has = _has(world)
    if not has("deliveries"):
        return CONFIRMED
    return PAID if has("customer_invoices") else SHIPPED


def _month_start(anchor: datetime, months_back: int) -> datetime:
    months = anchor.year * 12 + anchor.month - 1 - months_back
    return anchor.replace(year=months // 12, month=months % 12 + 1, day=1)


def _journals(store: Store, world: World, anchor: datetime) -> None:
    """Monthly accruals and payments the finance team keyed in M3 (GLS840 vouchers), for every
    month of the history."""
    account = store.tenant.account
    per_month = max(1, round(world.scale**0.5))
    for month in range(12 * world.history_years, 0, -1):
        first = _month_start(anchor, month)
        for copy in range(per_month):
            for index, (expense, text, base, credit) in enumerate(MONTHLY_JOURNALS):
                rng = random.Random(f"{world.seed}:infor-journal:{month}:{copy}:{index}")
                value = (base * Decimal(str(rng.uniform(0.85, 1.15)))).quantize(CENT)
                booked = first + timedelta(days=rng.randint(0, 27), hours=9)
                date = ymd(booked)
                lines = [
                    {
                        "AIT1": account(expense),
                        "ACAM": amount(value),
                        "DBCR": "D",
                        "ACDT": date,
                        "VTXT": text,
                    },
                    {
                        "AIT1": account(credit),
                        "ACAM": amount(-value),
                        "DBCR": "C",
                        "ACDT": date,
                        "VTXT": text,
                    },
                ]
                ledger.post_voucher(
                    store, lines, stamp=stamp_at(booked), user=SEED_USER, description=text
                )


# --- procure to pay -------------------------------------------------------------------------------
def _procurement(
    store: Store, world: World, anchor: datetime, items: dict[str, dict[str, str]]
) -> None:
    numbers = {
        supplier.index: _p2p_supplier(store, world, supplier, anchor)
        for supplier in world.p2p_suppliers
        if supplier.in_infor
    }
    if items:
        for order in world.iter_purchase_orders():
            _p2p_purchase_order(store, anchor, order, numbers[order.supplier_index], items)
    if world.bill_count > PLANTED_UNBALANCED_BILL:
        _unbalanced_invoice(store, world, anchor, numbers)


def _p2p_supplier(store: Store, world: World, supplier: P2PSupplier, anchor: datetime) -> str:
    """The supplier's number, adding the supplier unless the expense world has it already."""
    tenant = store.tenant
    suno = supplier.supplier_number
    stamp = stamp_at(min(supplier.created_at.replace(tzinfo=UTC), anchor))
    if not supplier.expense_vendor:
        doc = {
            "CONO": CONO,
            "SUNO": suno,
            "SUNM": (supplier.infor_name or "")[:36],
            "SUTY": "0",
            "ALSU": (supplier.infor_name or "").replace(" ", "")[:10],
            "STAT": "20",
            "LNCD": "GB",
            "CSCD": supplier.country,
            "PHNO": supplier.phone,
            "CUCD": supplier.currency,
            "CRTP": "1",
            "TEPY": "30",
            "PYME": next(iter(tenant.ap_payment_methods)),
            "ORTY": next(iter(tenant.purchase_order_types)),
            "SUCL": list(tenant.supplier_groups)[-1],  # goods
            "VRNO": supplier.tax_number,
            "OUCN": supplier.account_number,  # our customer number at the supplier
            "DTFM": "YMD",
        }
        _blank(world, "suppliers", doc)
        touch(doc, stamp, SEED_USER, new=True)
        store.insert("suppliers", {"suno": suno, "lmts": int(doc["LMTS"])}, doc)
    contact = {
        "CONO": CONO,
        "SUNO": suno,
        "RFTY": next(iter(tenant.supplier_reference_types)),
        "RFID": "AP",
        "YRE1": f"{supplier.contact_first} {supplier.contact_last}",
        "PHNO": supplier.phone,
        "EMAL": supplier.email,
    }
    store.insert("supplier_refs", {"suno": suno, "rfty": contact["RFTY"], "rfid": "AP"}, contact)
    return suno


def _p2p_purchase_order(
    store: Store,
    anchor: datetime,
    order: PurchaseOrder,
    suno: str,
    items: dict[str, dict[str, str]],
) -> None:
    supplier = store.doc("select doc from suppliers where suno = ?", (suno,))
    assert supplier is not None  # seeded just before
    ordered = datetime.combine(order.ordered_on, datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=15
    )
    puno = str(store.next_number("purchase_order", 2000000001))
    head = _po_head(store, puno, supplier, ordered, next(iter(store.tenant.purchase_order_types)))
    received_on = min(ordered + timedelta(days=14), anchor)
    lines = []
    for pnli, purchase in enumerate(order.lines, start=1):
        item = items[purchase.sku]
        status = (
            PO_RECEIVED
            if purchase.received == purchase.quantity
            else PO_PART_RECEIVED
            if purchase.received
            else PO_ENTERED
        )
        line = _po_line(
            head,
            pnli,
            item,
            purchase.quantity,
            purchase.unit_price,
            status,
            purchase.received,
            ymd(received_on) if purchase.received else "",
        )
        touch(line, stamp_at(received_on if purchase.received else ordered), SEED_USER, new=True)
        lines.append(line)
        if purchase.received:
            # The balance's quantity already counts this receipt; its change stamp says when.
            store.db.execute(
                "update item_balances set lmts = max(lmts, ?) where whlo = ? and itno = ?",
                (int(line["LMTS"]), head["WHLO"], item["ITNO"]),
            )
    purchasing.po_totals(head, lines)
    head["PUSL"] = min(line["PUSL"] for line in lines)
    head["PUST"] = max(line["PUST"] for line in lines)
    touch(head, stamp_at(ordered), SEED_USER, new=True)
    purchasing.insert_purchase_order(store, head, lines)
    if order.supplier_invoice:
        _p2p_invoice(store, anchor, order, head, lines)


def _p2p_invoice(
    store: Store,
    anchor: datetime,
    order: PurchaseOrder,
    head: dict[str, str],
    lines: list[dict[str, str]],
) -> None:
    """The supplier's invoice for what was received, entered against the order and approved."""
    invoiced = min(
        datetime.fromisoformat(f"{lines[0]['RCDT']}T16:00:00+00:00") + timedelta(days=5), anchor
    )
    stamp = stamp_at(invoiced)
    total = order.received_amount
    inbn = store.next_number("invoice_batch", 1001)
    batch = {
        "CONO": CONO,
        "DIVI": store.tenant.divi,
        "INBN": str(inbn),
        "IBTP": "10",
        "SUPA": INVOICE_APPROVED,
        "BIST": "0",
        "SUNO": head["SUNO"],
        "SPYN": head["SUNO"],
        "SINO": order.supplier_invoice,
        "PUNO": head["PUNO"],
        "IVDT": ymd(invoiced),
        "ACDT": ymd(invoiced),
        "DUDT": ymd(invoiced + timedelta(days=30)),
        "CUCD": head["CUCD"],
        "TEPY": head["TEPY"],
        "CUAM": amount(total),
        "VTAM": "0.00",
        "AAPD": ymd(invoiced),
    }
    touch(batch, stamp, SEED_USER, new=True)
    entries = []
    for trno, line in enumerate(lines, start=1):
        entry = {
            "CONO": CONO,
            "DIVI": batch["DIVI"],
            "INBN": str(inbn),
            "TRNO": str(trno),
            "RDTP": "1",
            "PUNO": line["PUNO"],
            "PNLI": line["PNLI"],
            "ITNO": line["ITNO"],
            "IVQA": line["RVQA"],
            "CUCD": batch["CUCD"],
            "NLAM": amount(Decimal(line["RVQA"]) * Decimal(line["PUPR"])),
            "VTA1": "0.00",
            "VTA2": "0.00",
        }
        touch(entry, stamp, SEED_USER, new=True)
        entries.append(entry)
        line |= {"IVQA": line["RVQA"], "IDAT": ymd(invoiced)}
        store.save("purchase_lines", {"puno": line["PUNO"], "pnli": int(line["PNLI"])}, line)
    supplier_invoices.insert_batch(store, batch, entries)
    item = payables.book_invoice(store, batch, stamp=stamp, user=SEED_USER)
    if order.invoice_paid:
        paid = min(invoiced + timedelta(days=30), anchor)
        payables.apply_payment(
            store,
            invoice=item,
            amount_paid=total,
            payment_date=ymd(paid),
            stamp=stamp_at(paid),
            user=SEED_USER,
        )


def _unbalanced_invoice(
    store: Store, world: World, anchor: datetime, numbers: dict[int, str]
) -> None:
    """Planted problem: the bill whose taxes round differently line by line, entered as the
    supplier's invoice with the bill's total; it cannot be approved until someone corrects it."""
    bill = world.bill(PLANTED_UNBALANCED_BILL)
    suno = numbers[bill.supplier_index]
    stamp = stamp_at(min(bill.created_at.replace(tzinfo=UTC) + timedelta(days=2), anchor))
    supplier = store.doc("select doc from suppliers where suno = ?", (suno,)) or {}
    inbn = store.next_number("invoice_batch", 1001)
    issued = ymd(bill.issued_on)
    batch = {
        "CONO": CONO,
        "DIVI": store.tenant.divi,
        "INBN": str(inbn),
        "IBTP": "10",
        "SUPA": INVOICE_ENTERED,
        "BIST": "0",
        "SUNO": suno,
        "SPYN": suno,
        "SINO": bill.number,
        "IVDT": issued,
        "ACDT": issued,
        "DUDT": ymd(bill.issued_on + timedelta(days=bill.due_days)),
        "CUCD": supplier.get("CUCD", store.tenant.local_currency),
        "TEPY": supplier.get("TEPY", "30"),
        "CUAM": amount(bill.total),
        "VTAM": "",
    }
    touch(batch, stamp, SEED_USER, new=True)
    entries = []
    for trno, line in enumerate(bill.lines, start=1):
        entry = {
            "CONO": CONO,
            "DIVI": batch["DIVI"],
            "INBN": str(inbn),
            "TRNO": str(trno),
            "RDTP": "8",
            "AO01": store.tenant.account("6550"),
            "CUCD": batch["CUCD"],
            "NLAM": amount(line.amount),
            "VTA1": amount(line.tax_amount),
            "VTA2": "0.00",
        }
        touch(entry, stamp, SEED_USER, new=True)
        entries.append(entry)
    supplier_invoices.insert_batch(store, batch, entries)
