"""The deterministic world every emulator is seeded from.

One `World(seed, scale, options)` describes the businesses behind all three systems: companies
and their contacts, products, sales (invoices with lines, taxes and payments), expenses, and which
companies the ERP knows under other ids and spellings. Emulators project it into their own
shapes. Large collections are generated lazily, record by record from `(seed, kind, index)`, so
100,000 invoices never sit in memory at once. The options decide how many years the history
spans and how invoice lines are taxed; the default options give the one-year world.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from sandbox.options import SandboxOptions

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

FIRST_NAMES = [
    "Avery",
    "Blake",
    "Carmen",
    "Dana",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Imani",
    "Jonas",
    "Keiko",
    "Liam",
    "Maya",
    "Nikolai",
    "Olivia",
    "Priya",
    "Quinn",
    "Rosa",
    "Samir",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aaron",
    "Beatriz",
    "Chen",
    "Dmitri",
]
LAST_NAMES = [
    "Anderson",
    "Brooks",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Morales",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Underwood",
    "Vasquez",
    "Wagner",
    "Xu",
    "Yamamoto",
    "Zimmerman",
]
NAME_STEMS = [
    "Maple",
    "Harbor",
    "Summit",
    "Granite",
    "Cedar",
    "Beacon",
    "Riverside",
    "Northwind",
    "Bluebird",
    "Ironwood",
    "Lakeshore",
    "Copper",
    "Evergreen",
    "Silverline",
    "Redwood",
    "Prairie",
    "Atlas",
    "Meridian",
    "Keystone",
    "Sterling",
    "Orchard",
    "Falcon",
    "Harborview",
    "Pinecrest",
    "Stonebridge",
    "Willow",
    "Crescent",
    "Horizon",
    "Pioneer",
    "Tidewater",
]
NAME_KINDS = [
    "Bakery",
    "Logistics",
    "Dental",
    "Studio",
    "Consulting",
    "Outfitters",
    "Robotics",
    "Florals",
    "Brewing",
    "Architects",
    "Supply",
    "Analytics",
    "Print",
    "Works",
    "Cycles",
    "Coffee",
    "Roasters",
    "Clinic",
    "Media",
    "Labs",
    "Builders",
]
LEGAL_SUFFIXES = ("Inc.", "LLC", "Ltd.", "Co.", "Corp.", "Group")
CITIES = (
    ("Austin", "TX", "US", "787"),
    ("Portland", "OR", "US", "972"),
    ("Denver", "CO", "US", "802"),
    ("Boston", "MA", "US", "021"),
    ("Chicago", "IL", "US", "606"),
    ("Toronto", "ON", "CA", "M5V"),
    ("Vancouver", "BC", "CA", "V6B"),
    ("Seattle", "WA", "US", "981"),
    ("Atlanta", "GA", "US", "303"),
    ("Halifax", "NS", "CA", "B3H"),
)
STREETS = [
    "Main",
    "Oak",
    "Pine",
    "Elm",
    "King",
    "Queen",
    "Market",
    "Mill",
    "Church",
    "Water",
    "Harbor",
    "Lake",
]
CLIENT_TYPES = ("SMB", "SMB", "SMB", "Enterprise", "Individual", "Nonprofit")
GATEWAYS = ("stripe", "paypal", "bank_transfer", "check", "cash", "shopify_payments")
PAYMENT_TYPES = {
    "stripe": "Credit Card",
    "paypal": "PayPal",
    "bank_transfer": "Bank Transfer",
    "check": "Check",
    "cash": "Cash",
    "shopify_payments": "Credit Card",
}
EXPENSE_CATEGORIES = (
    "Advertising",
    "Car & Truck Expenses",
    "Contractors",
    "Education and Training",
    "Employee Benefits",
    "Meals & Entertainment",
    "Office Expenses & Postage",
    "Other Expenses",
    "Professional Services",
    "Rent or Lease",
    "Supplies",
    "Travel",
    "Utilities",
    "Software & Subscriptions",
)
# A category that no mapping seed knows: a planted problem the pipeline must quarantine.
UNMAPPED_EXPENSE_CATEGORY = "Cryptocurrency Fees"
VENDORS = (
    "Staples",
    "Delta Air Lines",
    "WeWork",
    "Comcast Business",
    "Uber",
    "Shell",
    "Adobe",
    "Google Workspace",
    "FedEx Office",
    "Home Depot",
    "Local Print Shop",
    "AWS",
)
PRODUCT_NOUNS = [
    "Widget",
    "Gadget",
    "Bracket",
    "Sensor",
    "Cable",
    "Adapter",
    "Panel",
    "Valve",
    "Bearing",
    "Filter",
    "Hinge",
    "Pump",
    "Gasket",
    "Controller",
    "Mount",
    "Spool",
    "Clamp",
    "Lens",
    "Switch",
    "Module",
]
PRODUCT_ADJECTIVES = [
    "Standard",
    "Deluxe",
    "Compact",
    "Heavy-Duty",
    "Smart",
    "Eco",
    "Pro",
    "Mini",
    "Industrial",
    "Classic",
]
SERVICES = (
    ("SVC-INSTALL", "Installation service", Decimal("150.00")),
    ("SVC-CONSULT", "Consulting hour", Decimal("120.00")),
    ("SVC-SUPPORT", "Support plan (monthly)", Decimal("49.00")),
)


@dataclass(frozen=True)
class TaxRate:
    """A tax as an invoice line carries it: its name, percent and registration number."""

    name: str
    percent: Decimal
    number: str | None = None


HST = TaxRate("HST", Decimal("13"), "RT0001")
GST = TaxRate("GST", Decimal("5"), "RT0001")
SALES_TAX = TaxRate("Sales Tax", Decimal("8.25"))
STANDARD_TAXES = (HST, GST, SALES_TAX)
# What a client's province or state charges, when invoices are taxed per jurisdiction.
REGION_TAXES: dict[str, tuple[TaxRate, ...]] = {
    "ON": (HST,),
    "NS": (TaxRate("HST NS", Decimal("15"), "RT0001"),),
    "BC": (GST, TaxRate("PST", Decimal("7"), "PST-1234-5678")),
    "TX": (SALES_TAX,),
    "OR": (),  # Oregon has no sales tax
    "WA": (TaxRate("WA Sales Tax", Decimal("6.5")),),
    "CO": (TaxRate("CO Sales Tax", Decimal("2.9")),),
    "MA": (TaxRate("MA Sales Tax", Decimal("6.25")),),
    "IL": (TaxRate("IL Sales Tax", Decimal("6.25")),),
    "GA": (TaxRate("GA Sales Tax", Decimal("4")),),
}
EXPENSE_TAX_PERCENTS = ("0", "5", "8.25", "13")


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@dataclass(frozen=True)
class Company:
    index: int
    name: str
    legal_suffix: str
    first_name: str
    last_name: str
    email: str
    phone: str
    street: str
    city: str
    region: str
    country: str
    postal_code: str
    currency: str
    client_type: str
    tax_number: str
    created_at: datetime
    in_freshbooks: bool
    in_infor: bool
    infor_customer_number: str  # CUNO when the ERP knows the company
    infor_name: str  # the ERP's spelling: upper case, legal suffix spelled out, at most 36 chars

    is_person: bool = False  # a person, not a business: no organization name

    @property
    def organization(self) -> str:
        return "" if self.is_person else f"{self.name} {self.legal_suffix}"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    description: str
    unit_price: Decimal
    taxable: bool
    is_service: bool = False


@dataclass(frozen=True)
class SaleLine:
    sku: str
    name: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    taxes: tuple[TaxRate, ...] = ()  # at most two, as a FreshBooks line holds them

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT)


def sale_tax(lines: tuple[SaleLine, ...] | list[SaleLine]) -> Decimal:
    """Each tax on the sum of the lines it applies to, rounded once, as the invoice shows it."""
    bases: dict[TaxRate, Decimal] = {}
    for line in lines:
        for tax in line.taxes:
            bases[tax] = bases.get(tax, ZERO) + line.amount
    return sum(((base * tax.percent / 100).quantize(CENT) for tax, base in bases.items()), ZERO)


@dataclass(frozen=True)
class Payment:
    index: int
    paid_on: date
    amount: Decimal
    gateway: str

    @property
    def payment_type(self) -> str:
        return PAYMENT_TYPES[self.gateway]


@dataclass(frozen=True)
class Sale:
    """One invoice (FreshBooks) that may also be a customer order (M3)."""

    index: int
    number: str
    company_index: int
    issued_on: date
    due_on: date
    currency: str
    lines: tuple[SaleLine, ...]
    sent: bool
    payments: tuple[Payment, ...]
    created_at: datetime
    updated_at: datetime
    po_number: str

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return sale_tax(self.lines)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0.00"))


@dataclass(frozen=True)
class Expense:
    index: int
    spent_on: date
    vendor: str
    category: str
    amount: Decimal
    tax_amount: Decimal
    tax_percent: Decimal
    currency: str
    company_index: int | None
    notes: str
    created_at: datetime
    updated_at: datetime


@dataclass
class World:
    """Everything the sandboxes know, derived from `seed`, `scale` and `options` alone."""

    seed: int = 42
    scale: float = 1.0
    anchor: datetime = field(default=datetime(2026, 1, 5, 14, 0, 0))  # naive UTC
    options: SandboxOptions = field(default_factory=SandboxOptions)

    # --- sizes and span ------------------------------------------------------------------------
    @property
    def history_years(self) -> int:
        return self.options.history_years

    @property
    def extra_history(self) -> timedelta:
        """How much further back than one year the history reaches; master data predates it."""
        return timedelta(days=365 * (self.history_years - 1))

    @property
    def company_count(self) -> int:
        return max(12, round(30 * self.scale**0.75))

    @property
    def invoice_count(self) -> int:
        return max(20, round(200 * self.scale)) * self.history_years

    @property
    def expense_count(self) -> int:
        return max(10, round(60 * self.scale)) * self.history_years

    @property
    def product_count(self) -> int:
        return min(2000, 24 + round(6 * self.scale))

    def _rng(self, kind: str, index: int = 0) -> random.Random:
        return random.Random(f"{self.seed}:{kind}:{index}")

    # --- reference data ----------------------------------------------------------------------
    @cached_property
    def companies(self) -> tuple[Company, ...]:
        companies = [self._company(i) for i in range(self.company_count)]
        # Planted problem: the same business entered twice in FreshBooks (other e-mail case).
        first = companies[0]
        companies.append(
            Company(
                **{
                    **first.__dict__,
                    "index": len(companies),
                    "email": first.email.upper(),
                    "name": first.name,
                    "in_infor": False,
                    "infor_customer_number": "",
                }
            )
        )
        return tuple(companies)

    def _company(self, i: int) -> Company:
        rng = self._rng("company", i)
        stem, kind = NAME_STEMS[i % len(NAME_STEMS)], NAME_KINDS[(i * 7) % len(NAME_KINDS)]
        name = f"{stem} {kind}" if i < len(NAME_STEMS) else f"{stem} {kind} {i}"
        suffix = rng.choice(LEGAL_SUFFIXES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, region, country, postal_prefix = rng.choice(CITIES)
        domain = name.lower().replace(" ", "") + (".ca" if country == "CA" else ".com")
        infor_suffix = {"Inc.": "INCORPORATED", "Ltd.": "LIMITED", "Co.": "COMPANY"}.get(
            suffix, suffix.upper().rstrip(".")
        )
        # drawn in this order, so every seed keeps its world
        phone = f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        street = f"{rng.randint(1, 9999)} {rng.choice(STREETS)} St"
        postal_code = (
            f"{postal_prefix}{rng.randint(10, 99)}"
            if country == "US"
            else f"{postal_prefix} {rng.randint(1, 9)}A{rng.randint(1, 9)}"
        )
        client_type = rng.choice(CLIENT_TYPES)
        tax_number = f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"
        minutes = rng.randint(0, 600)
        # People buying for themselves are clients without an organization, new to the ERP.
        is_person = self.options.person_clients and client_type == "Individual"
        in_freshbooks = i % 7 != 6 or is_person  # a few companies exist only in the ERP
        in_infor = i % 3 != 2 and not is_person  # about two thirds are already ERP customers
        return Company(
            index=i,
            name=name,
            legal_suffix=suffix,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@{domain}",
            phone=phone,
            street=street,
            city=city,
            region=region,
            country=country,
            postal_code=postal_code,
            currency="CAD" if country == "CA" else "USD",
            client_type=client_type,
            tax_number=tax_number,
            created_at=self.anchor
            - self.extra_history
            - timedelta(days=400 - i % 300, minutes=minutes),
            in_freshbooks=in_freshbooks,
            in_infor=in_infor,
            infor_customer_number=f"C{100000 + i:06d}" if in_infor else "",
            infor_name=f"{name} {infor_suffix}".upper()[:36],
            is_person=is_person,
        )

    @cached_property
    def products(self) -> tuple[Product, ...]:
        products = [
            Product(
                sku=sku,
                name=name,
                description=name,
                unit_price=price,
                taxable=True,
                is_service=True,
            )
            for sku, name, price in SERVICES
        ]
        for i in range(self.product_count - len(SERVICES)):
            rng = self._rng("product", i)
            noun, adjective = rng.choice(PRODUCT_NOUNS), rng.choice(PRODUCT_ADJECTIVES)
            products.append(
                Product(
                    sku=f"{noun[:3].upper()}-{1000 + i}",
                    name=f"{adjective} {noun}",
                    description=f"{adjective} {noun.lower()}, model {1000 + i}",
                    unit_price=_money(
                        rng.choice((4.5, 9.99, 19.95, 24.0, 49.5, 89.0, 129.0, 249.99))
                    ),
                    taxable=rng.random() > 0.1,
                )
            )
        return tuple(products)

    @cached_property
    def taxes(self) -> tuple[TaxRate, ...]:
        """The account's taxes: none when it has none, more when invoices are taxed by region."""
        if self.options.is_empty("freshbooks.taxes"):
            return ()
        regional = (tax for taxes in REGION_TAXES.values() for tax in taxes)
        return tuple(dict.fromkeys((*STANDARD_TAXES, *(regional if self.options.taxed else ()))))

    @cached_property
    def _line_taxes(self) -> Callable[[Company, Product], tuple[TaxRate, ...]]:
        """How a sale line is taxed: not at all, by the client's region and the product, or
        (the default) at the client's country rate on every line."""
        if self.options.untaxed_lines:
            return _untaxed
        return _regional_taxes if self.options.taxed else _country_rate

    @property
    def expense_categories(self) -> tuple[str, ...]:
        return (*EXPENSE_CATEGORIES, UNMAPPED_EXPENSE_CATEGORY)

    def freshbooks_companies(self) -> list[Company]:
        return [c for c in self.companies if c.in_freshbooks]

    def infor_companies(self) -> list[Company]:
        return [c for c in self.companies if c.in_infor]

    # --- transactions ------------------------------------------------------------------------
    def sale(self, i: int) -> Sale:
        rng = self._rng("sale", i)
        customers = self._freshbooks_company_indexes
        company = self.companies[customers[rng.randrange(len(customers))]]
        # Spread issue dates over the history before the anchor, oldest first.
        span_days = 365 * self.history_years
        issued = (self.anchor - timedelta(days=span_days * (1 - i / self.invoice_count))).date()
        lines = []
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            product = self.products[rng.randrange(len(self.products))]
            qty = Decimal(rng.choice((1, 1, 2, 3, 5, 10, 12)))
            taxes = self._line_taxes(company, product)
            lines.append(
                SaleLine(
                    product.sku, product.name, product.description, qty, product.unit_price, taxes
                )
            )
        if i == self.invoice_count // 2:
            # Planted problem: an outlier amount, two orders of magnitude above the rest
            # (INV-010101 in the default world): the pre-posting gate holds its Infor order for
            # review, and dbt's invoice_amount_outliers warns of it.
            first = lines[0]
            lines[0] = replace(first, quantity=Decimal(900), unit_price=first.unit_price * 10)
        age_days = (self.anchor.date() - issued).days
        sent = age_days > 3
        payments: list[Payment] = []
        sale_total = self._total(lines)
        if sent and age_days > 20:
            roll = rng.random()
            gateway = rng.choice(GATEWAYS)
            paid_on = issued + timedelta(days=rng.randint(5, 45))
            # A payment that would fall after the anchor has not happened: the invoice is open.
            happened = paid_on <= self.anchor.date()
            if happened and roll < 0.65:
                payments.append(Payment(i * 4, paid_on, sale_total, gateway))
            elif happened and roll < 0.8:
                half = (sale_total / 2).quantize(CENT)
                payments.append(Payment(i * 4, paid_on, half, gateway))
        created = datetime.combine(issued, datetime.min.time()) + timedelta(
            hours=rng.randint(13, 22)
        )
        updated = created + timedelta(
            days=min(age_days, rng.randint(0, 30)), minutes=rng.randint(0, 59)
        )
        return Sale(
            index=i,
            number=f"INV-{10001 + i:06d}",
            company_index=company.index,
            issued_on=issued,
            due_on=issued + timedelta(days=rng.choice((15, 30, 30, 45))),
            currency=company.currency,
            lines=tuple(lines),
            sent=sent,
            payments=tuple(payments),
            created_at=created,
            updated_at=min(updated, self.anchor),
            po_number=f"PO-{rng.randint(1000, 9999)}" if rng.random() < 0.3 else "",
        )

    @staticmethod
    def _total(lines: list[SaleLine]) -> Decimal:
        return sum((line.amount for line in lines), ZERO) + sale_tax(lines)

    @cached_property
    def _freshbooks_company_indexes(self) -> list[int]:
        return [c.index for c in self.companies if c.in_freshbooks]

    def iter_sales(self) -> Iterator[Sale]:
        for i in range(self.invoice_count):
            yield self.sale(i)

    def expense(self, i: int) -> Expense:
        rng = self._rng("expense", i)
        spent = (self.anchor - timedelta(days=rng.randint(1, 365 * self.history_years))).date()
        # Planted problem: one expense in a category no mapping knows.
        category = UNMAPPED_EXPENSE_CATEGORY if i == 7 else rng.choice(EXPENSE_CATEGORIES)
        amount = _money(rng.uniform(8, 1800))
        tax_percent = self._expense_tax(rng.choice(EXPENSE_TAX_PERCENTS))
        billable = rng.random() < 0.2
        customers = self._freshbooks_company_indexes
        created = datetime.combine(spent, datetime.min.time()) + timedelta(
            hours=rng.randint(13, 23)
        )
        return Expense(
            index=i,
            spent_on=spent,
            vendor=rng.choice(VENDORS),
            category=category,
            amount=amount,
            tax_amount=(amount * tax_percent / (100 + tax_percent)).quantize(CENT),
            tax_percent=tax_percent,
            currency="USD",
            company_index=customers[rng.randrange(len(customers))] if billable else None,
            notes=f"{category} - receipt {rng.randint(10000, 99999)}",
            created_at=created,
            updated_at=min(created + timedelta(days=rng.randint(0, 3)), self.anchor),
        )

    def _expense_tax(self, drawn: str) -> Decimal:
        """The drawn percent, or none when the account has no taxes to record it under."""
        return Decimal(drawn) if self.taxes else Decimal("0")

    def iter_expenses(self) -> Iterator[Expense]:
        for i in range(self.expense_count):
            yield self.expense(i)

    # --- procure to pay: its own draws, so the rest of the world never moves for it -------------
    @cached_property
    def p2p_suppliers(self) -> tuple[P2PSupplier, ...]:
        return tuple(_p2p_supplier(self, index, spec) for index, spec in enumerate(P2P_SUPPLIERS))

    @property
    def purchase_order_count(self) -> int:
        return max(4, round(8 * self.scale**0.5))

    @property
    def bill_count(self) -> int:
        return max(8, round(12 * self.scale))

    def purchase_order(self, i: int) -> PurchaseOrder:
        rng = self._rng("p2p-po", i)
        suppliers = [s for s in self.p2p_suppliers if s.in_infor and not s.expense_vendor]
        supplier = suppliers[i % len(suppliers)]
        goods = [p for p in self.products if not p.is_service]
        # The first three are an invoiced receipt, a part receipt and an order on its way.
        age = (45, 20, 3)[i] if i < 3 else rng.randint(5, 150)
        ordered = (self.anchor - timedelta(days=age, hours=rng.randint(0, 8))).date()
        lines = []
        for n in range(rng.randint(1, 3)):
            product = goods[rng.randrange(len(goods))]
            qty = Decimal(rng.choice((10, 20, 50, 100)))
            price = (product.unit_price * Decimal("0.6")).quantize(CENT)
            received = (
                qty if age > 30 else (qty / 2).quantize(Decimal(1)) if age > 15 and n == 0 else ZERO
            )
            lines.append(PurchaseLine(product.sku, qty, price, received))
        invoiced = age > 30 and i % 2 == 0
        number = f"{supplier.initials}-{rng.randint(10000, 99999)}" if invoiced else ""
        return PurchaseOrder(
            i, supplier.index, ordered, tuple(lines), number, invoiced and age > 60
        )

    def iter_purchase_orders(self) -> Iterator[PurchaseOrder]:
        for i in range(self.purchase_order_count):
            yield self.purchase_order(i)

    def bill(self, i: int) -> Bill:
        rng = self._rng("p2p-bill", i)
        vendors = [s for s in self.p2p_suppliers if s.in_freshbooks]
        supplier = vendors[rng.randrange(len(vendors))]
        if i in (PLANTED_DUPLICATE_BILL, PLANTED_DUPLICATE_BILL - 1):
            supplier = vendors[0]  # two bills of one vendor under one number
        if i == PLANTED_UNBALANCED_BILL:
            supplier = next(s for s in vendors if s.country == "CA" and s.in_infor)
        issued = (self.anchor - timedelta(days=rng.randint(5, 120))).date()
        tax = BILL_TAXES[supplier.country]
        lines = []
        for n in range(rng.randint(1, 3)):
            category = rng.choice(BILL_CATEGORIES)
            quantity = Decimal(rng.choice((1, 1, 2, 5, 10)))
            lines.append(
                BillLine(
                    category,
                    f"{category} - {supplier.freshbooks_name}",
                    quantity,
                    _money(rng.uniform(20, 900)),
                    # one taxed line at most: its tax is the bill's to the cent
                    tax if rng.random() < 0.6 and n == 0 else None,
                )
            )
        if i == PLANTED_UNMAPPED_BILL:
            # Planted problem: a bill line in a category no mapping knows.
            lines[0] = replace(lines[0], category=UNMAPPED_EXPENSE_CATEGORY)
        if i == PLANTED_UNBALANCED_BILL:
            # Planted problem: each line's tax rounds up (0.055 -> 0.06) while the bill's tax,
            # on the three together, rounds down (0.165 -> 0.16): Infor's batch would not
            # balance line by line.
            line = BillLine("Supplies", "Washers", Decimal(1), Decimal("1.10"), tax)
            lines = [line, replace(line, description="Nuts"), replace(line, description="Bolts")]
        number = f"{supplier.initials}-{rng.randint(10000, 99999)}"
        if i == PLANTED_DUPLICATE_BILL:
            # Planted problem: the vendor's number entered on a second bill as well.
            number = self.bill(i - 1).number
        created = datetime.combine(issued, datetime.min.time()) + timedelta(
            hours=rng.randint(13, 22)
        )
        payments: list[BillPayment] = []
        age = (self.anchor.date() - issued).days
        roll = rng.random()
        if age > 30 and i not in PLANTED_BILLS:
            total = sum((line.amount for line in lines), ZERO) + bill_tax(lines)
            paid_on = min(issued + timedelta(days=rng.randint(10, 30)), self.anchor.date())
            if roll < 0.5:
                payments.append(BillPayment(i * 2, paid_on, total, rng.choice(BILL_PAYMENT_TYPES)))
            elif roll < 0.7:
                half = (total / 2).quantize(CENT)
                payments.append(BillPayment(i * 2, paid_on, half, rng.choice(BILL_PAYMENT_TYPES)))
        last = max([created, *(datetime.combine(p.paid_on, datetime.min.time()) for p in payments)])
        return Bill(
            index=i,
            supplier_index=supplier.index,
            number=number,
            issued_on=issued,
            due_days=rng.choice((15, 30, 45)),
            lines=tuple(lines),
            payments=tuple(payments),
            created_at=created,
            updated_at=min(last + timedelta(hours=rng.randint(1, 5)), self.anchor),
            deleted=i == DELETED_BILL,
        )

    def iter_bills(self) -> Iterator[Bill]:
        for i in range(self.bill_count):
            yield self.bill(i)


# --- how sale lines are taxed -------------------------------------------------------------------
def _untaxed(company: Company, product: Product) -> tuple[TaxRate, ...]:
    return ()


def _country_rate(company: Company, product: Product) -> tuple[TaxRate, ...]:
    """One tax on every line: HST for Canadian clients, sales tax for the others."""
    return (HST,) if company.country == "CA" else (SALES_TAX,)


def _regional_taxes(company: Company, product: Product) -> tuple[TaxRate, ...]:
    """The client's province or state taxes, on the products that are taxable."""
    return REGION_TAXES[company.region] if product.taxable else ()


# --- procure to pay -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SupplierSpec:
    """A business the company buys from, as each system spells it (None: not there yet)."""

    freshbooks_name: str | None
    infor_name: str | None
    country: str
    city: str
    region: str
    how_matched: str  # what says a FreshBooks vendor and an Infor supplier are one business
    supplier_number: str = ""  # an ERP supplier the expense world already has


# The suppliers of the procure-to-pay story, the same at every scale. Each pair exercises one
# way of knowing that a FreshBooks vendor and an Infor supplier are one business, or that one
# side is still to be created.
P2P_SUPPLIERS = (
    SupplierSpec("Acme Industrial Supply", "ACME INDUSTRIAL SUPPLY", "US", "Denver", "CO", "name"),
    # Planted problem: one business spelled differently in each system; the contact's e-mail
    # in both says they are the same.
    SupplierSpec("Initech Fasteners", "INITECH FASTENING SYSTEMS", "US", "Austin", "TX", "email"),
    # Our account number at the supplier: FreshBooks' `account_number`, M3's OUCN.
    SupplierSpec("Globex Corporation", "GLOBEX COMPONENTS", "CA", "Toronto", "ON", "account"),
    SupplierSpec("Umbrella Packaging", None, "US", "Chicago", "IL", "new in Infor"),
    SupplierSpec(None, "STARK METALS", "US", "Seattle", "WA", "new in FreshBooks"),
    SupplierSpec("Wayne Electronics", None, "CA", "Vancouver", "BC", "new in Infor"),
    # An expense vendor the ERP knows already (the first supplier named after VENDORS).
    SupplierSpec(VENDORS[0], VENDORS[0], "US", "Boston", "MA", "name", supplier_number="S1001"),
)
BILL_CATEGORIES = (
    "Supplies",
    "Professional Services",
    "Contractors",
    "Office Expenses & Postage",
    "Software & Subscriptions",
    "Utilities",
)
BILL_TAXES = {"US": SALES_TAX, "CA": GST}
BILL_PAYMENT_TYPES = ("Check", "Bank Transfer", "ACH", "Credit Card")
PLANTED_UNMAPPED_BILL = 2
PLANTED_DUPLICATE_BILL = 4  # shares the number of the bill before it
PLANTED_UNBALANCED_BILL = 5
# The bills of the planted problems (the duplicate's twin too) stay unpaid, so each is still
# there to be found in the open bills.
PLANTED_BILLS = frozenset(
    {
        PLANTED_UNMAPPED_BILL,
        PLANTED_DUPLICATE_BILL - 1,
        PLANTED_DUPLICATE_BILL,
        PLANTED_UNBALANCED_BILL,
    }
)
DELETED_BILL = 6


@dataclass(frozen=True)
class P2PSupplier:
    index: int
    freshbooks_name: str | None
    infor_name: str | None
    country: str
    city: str
    region: str
    currency: str
    email: str
    contact_first: str
    contact_last: str
    phone: str
    street: str
    postal_code: str
    account_number: str  # our customer number at the supplier
    tax_number: str
    supplier_number: str  # SUNO when the ERP knows it
    how_matched: str
    created_at: datetime
    expense_vendor: bool = False  # the ERP supplier exists in the expense world already

    @property
    def in_freshbooks(self) -> bool:
        return self.freshbooks_name is not None

    @property
    def in_infor(self) -> bool:
        return self.infor_name is not None

    @property
    def initials(self) -> str:
        name = self.freshbooks_name or self.infor_name or ""
        return "".join(word[0] for word in name.split()[:2]).upper()


def _p2p_supplier(world: World, index: int, spec: SupplierSpec) -> P2PSupplier:
    rng = world._rng("p2p-supplier", index)
    name = spec.freshbooks_name or (spec.infor_name or "").title()
    domain = name.split()[0].lower() + (".ca" if spec.country == "CA" else ".com")
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    prefix = next(c[3] for c in CITIES if c[0] == spec.city) if spec.city != "Vancouver" else "V6B"
    return P2PSupplier(
        index=index,
        freshbooks_name=spec.freshbooks_name,
        infor_name=spec.infor_name,
        country=spec.country,
        city=spec.city,
        region=spec.region,
        currency="CAD" if spec.country == "CA" else "USD",
        email=f"ap.{last.lower()}@{domain}",
        contact_first=first,
        contact_last=last,
        phone=f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        street=f"{rng.randint(1, 9999)} {rng.choice(STREETS)} St",
        postal_code=(
            f"{prefix}{rng.randint(10, 99)}"
            if spec.country == "US"
            else f"{prefix} {rng.randint(1, 9)}A{rng.randint(1, 9)}"
        ),
        account_number=f"LL{rng.randint(10000, 99999)}",
        tax_number=f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}",
        supplier_number=spec.supplier_number or (f"S{2001 + index}" if spec.infor_name else ""),
        how_matched=spec.how_matched,
        created_at=world.anchor - world.extra_history - timedelta(days=300 - index * 11),
        expense_vendor=bool(spec.supplier_number),
    )


@dataclass(frozen=True)
class PurchaseLine:
    sku: str
    quantity: Decimal
    unit_price: Decimal
    received: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT)

    @property
    def received_amount(self) -> Decimal:
        return (self.received * self.unit_price).quantize(CENT)


@dataclass(frozen=True)
class PurchaseOrder:
    """An ERP purchase order of goods: received in whole, in part or not yet, and for some
    the supplier's invoice entered in the ERP (APS450MI), paid there already for a few."""

    index: int
    supplier_index: int
    ordered_on: date
    lines: tuple[PurchaseLine, ...]
    supplier_invoice: str  # the supplier's invoice number, "" while it has not come
    invoice_paid: bool

    @property
    def received_amount(self) -> Decimal:
        return sum((line.received_amount for line in self.lines), ZERO)


@dataclass(frozen=True)
class BillLine:
    category: str
    description: str
    quantity: Decimal
    unit_cost: Decimal
    tax: TaxRate | None

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_cost).quantize(CENT)

    @property
    def tax_amount(self) -> Decimal:
        """The line's own tax, rounded on its own (as the line shows it)."""
        return (self.amount * self.tax.percent / 100).quantize(CENT) if self.tax else ZERO


def bill_tax(lines: tuple[BillLine, ...] | list[BillLine]) -> Decimal:
    """The bill's tax: each tax on the sum of the lines it applies to, rounded once."""
    bases: dict[TaxRate, Decimal] = {}
    for line in lines:
        if line.tax is not None:
            bases[line.tax] = bases.get(line.tax, ZERO) + line.amount
    return sum(((base * tax.percent / 100).quantize(CENT) for tax, base in bases.items()), ZERO)


@dataclass(frozen=True)
class BillPayment:
    index: int
    paid_on: date
    amount: Decimal
    payment_type: str


@dataclass(frozen=True)
class Bill:
    """A supplier's bill a person entered in FreshBooks, with the payments made on it."""

    index: int
    supplier_index: int
    number: str
    issued_on: date
    due_days: int
    lines: tuple[BillLine, ...]
    payments: tuple[BillPayment, ...]
    created_at: datetime
    updated_at: datetime
    deleted: bool = False

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def tax(self) -> Decimal:
        return bill_tax(self.lines)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax
