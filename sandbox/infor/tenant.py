"""An M3 tenant's set-up: the codes its records use and its writes accept, and how it behaves.

Two code sets: `default` (the sandbox's own codes) and `other`, a tenant configured by other
people (templates CUSTDOM/CUSTFOR, order types C10/C20, facility F10, warehouse W10, numeric
customer groups, five-digit accounts, its own banks and VAT codes). The behaviours come from the
sandbox options: how messages are worded, what VAT an order line gets when neither the call nor
the item names a code, and what a cash receipt writes into the AR payment's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property

from sandbox.generator import REGION_TAXES
from sandbox.infor.errors import WORDINGS, Wording
from sandbox.options import SandboxOptions

COUNTRIES = ("US", "CA", "MX", "GB", "DE", "FR", "NL", "SE", "AU", "JP")


@dataclass(frozen=True)
class VatCode:
    """A VAT code (VTCD) and its rates in percent: VTP1, and VTP2 for a second tax (PST)."""

    code: str
    description: str
    rates: tuple[Decimal, ...]

    def vat(self, base: Decimal) -> Decimal:
        """VAT on a net amount: each rate rounded to the cent, as M3 books each one."""
        return sum(
            ((base * rate / 100).quantize(Decimal("0.01")) for rate in self.rates), Decimal(0)
        )


NO_VAT = VatCode("", "No VAT", ())


@dataclass(frozen=True)
class Tenant:
    """One M3 company as configured: codes (first of each is the default) and behaviours."""

    name: str
    division: tuple[str, str]  # DIVI, name
    facility: tuple[str, str]  # FACI, name
    warehouses: Mapping[str, str]  # WHLO -> name
    templates: Mapping[str, Mapping[str, str]]  # CUTM -> the defaults it gives a customer
    order_types: Mapping[str, str]  # ORTP -> description
    customer_groups: Mapping[str, tuple[str, str]]  # world client type -> (CUCL, description)
    payment_methods: Mapping[str, str]  # PYCD -> description
    currencies: Mapping[str, str]  # CUCD -> description
    region_vat_codes: Mapping[str, str]  # province/state -> its VAT code (VTCD)
    exempt_vat_code: str
    account_format: str  # the tenant's GL account for a sandbox account number
    banks: tuple[tuple[str, str, str], ...]  # (BSID, BKID, currency)
    supplier_groups: Mapping[str, str]  # SUCL -> description
    ap_payment_methods: Mapping[str, str]  # PYME -> description
    purchase_order_types: Mapping[str, str]  # ORTY of purchase orders -> description
    supplier_reference_types: Mapping[str, str]  # RFTY of supplier contacts -> description
    local_currency: str = "USD"
    countries: tuple[str, ...] = COUNTRIES
    wording: Wording = WORDINGS["sandbox"]
    line_tax: str = "customer"  # VAT of an order line without a code: the customer's, or none
    receipt_text: str = "statement"

    # --- codes -------------------------------------------------------------------------------
    @property
    def divi(self) -> str:
        return self.division[0]

    @property
    def faci(self) -> str:
        return self.facility[0]

    @property
    def whlo(self) -> str:
        return next(iter(self.warehouses))

    @property
    def order_type(self) -> str:
        return next(iter(self.order_types))

    @cached_property
    def vat_codes(self) -> dict[str, VatCode]:
        """The exempt code, and one per jurisdiction with the rates its taxes charge."""
        codes = {self.exempt_vat_code: VatCode(self.exempt_vat_code, "Exempt", ())}
        for region, code in self.region_vat_codes.items():
            taxes = REGION_TAXES[region]
            if taxes:
                text = f"{region} " + " + ".join(f"{t.name} {t.percent}%" for t in taxes)
                codes[code] = VatCode(code, text, tuple(t.percent for t in taxes))
        return codes

    def vat(self, code: str) -> VatCode:
        """The VAT code's rates; a line without a code pays none."""
        return self.vat_codes.get(code, NO_VAT)

    def country_vat_code(self, country: str) -> str:
        """What a customer of `country` pays by default: HST in Canada, Texas' rate elsewhere."""
        return self.region_vat_codes["ON" if country == "CA" else "TX"]

    def template_for(self, currency: str) -> str:
        return next(
            (name for name, t in self.templates.items() if t["CUCD"] == currency),
            next(iter(self.templates)),
        )

    def customer_group(self, client_type: str) -> str:
        return self.customer_groups.get(client_type, next(iter(self.customer_groups.values())))[0]

    def account(self, code: str) -> str:
        return self.account_format.format(code)

    def codes(self, field: str) -> tuple[str, ...] | None:
        """The values a coded input field accepts in this tenant; None for a free field."""
        known = {
            "CSCD": self.countries,
            "CUCD": tuple(self.currencies),
            "CUCL": tuple(group for group, _ in self.customer_groups.values()),
            "CUTM": tuple(self.templates),
            "ORTY": tuple(self.purchase_order_types),
            "PYME": tuple(self.ap_payment_methods),
            "RFTY": tuple(self.supplier_reference_types),
            "SUCL": tuple(self.supplier_groups),
            "DIVI": (self.divi,),
            "FACI": (self.faci,),
            "ORTP": tuple(self.order_types),
            "PYCD": tuple(self.payment_methods),
            "VTCD": tuple(self.vat_codes),
            "WHLO": tuple(self.warehouses),
        }
        return known.get(field)


DEFAULT = Tenant(
    name="default",
    division=("AAA", "LEDGERLINK SANDBOX"),
    facility=("A01", "Main facility"),
    warehouses={"A01": "Main warehouse"},
    templates={
        "TPLUSD": {"CUNM": "TEMPLATE DOMESTIC CUSTOMER", "CUCD": "USD", "CSCD": "US", "VTCD": "1"},
        "TPLCAD": {"CUNM": "TEMPLATE CANADIAN CUSTOMER", "CUCD": "CAD", "CSCD": "CA", "VTCD": "2"},
    },
    order_types={"SO1": "Sales order", "SO2": "Sales order, individuals"},
    customer_groups={
        "SMB": ("SMB", "Small and medium business"),
        "Enterprise": ("ENT", "Enterprise"),
        "Individual": ("IND", "Individual"),
        "Nonprofit": ("NPO", "Non-profit"),
    },
    payment_methods={
        "CC": "Credit card", "PP": "PayPal", "BT": "Bank transfer", "CHK": "Check", "CSH": "Cash",
    },
    currencies={
        "USD": "US dollar", "CAD": "Canadian dollar", "EUR": "Euro", "GBP": "Pound sterling",
    },
    region_vat_codes={
        "TX": "1", "ON": "2", "BC": "3", "NS": "4", "WA": "5", "CO": "6", "MA": "7", "IL": "8",
        "GA": "9", "OR": "0",
    },
    exempt_vat_code="0",
    account_format="{}",
    banks=(("US-OPERATING", "BNK01", "USD"), ("CA-OPERATING", "BNK02", "CAD")),
    supplier_groups={"EXP": "Expense suppliers", "GDS": "Goods suppliers"},
    ap_payment_methods={"BT": "Bank transfer", "CHK": "Check"},
    purchase_order_types={"PP1": "Purchase order", "PP2": "Stock purchase order"},
    supplier_reference_types={"01": "Accounts payable contact", "02": "Sales contact"},
)  # fmt: skip

OTHER = Tenant(
    name="other",
    division=("US1", "NORTHWIND US OPERATIONS"),
    facility=("F10", "Distribution center"),
    warehouses={"W10": "Central warehouse", "W20": "Returns warehouse"},
    templates={
        "CUSTDOM": {"CUNM": "DOMESTIC CUSTOMER TEMPLATE", "CUCD": "USD", "CSCD": "US",
                    "VTCD": "11"},
        "CUSTFOR": {"CUNM": "FOREIGN CUSTOMER TEMPLATE", "CUCD": "CAD", "CSCD": "CA",
                    "VTCD": "13"},
    },
    order_types={"C10": "Domestic customer order", "C20": "Web customer order"},
    customer_groups={
        "SMB": ("10", "Small business"),
        "Enterprise": ("20", "Key account"),
        "Individual": ("30", "Private person"),
        "Nonprofit": ("40", "Non-profit organisation"),
    },
    payment_methods={
        "CRD": "Card payment", "PPL": "PayPal", "WIR": "Wire transfer", "CHQ": "Cheque",
        "CAS": "Cash",
    },
    currencies={"USD": "US dollar", "CAD": "Canadian dollar", "MXN": "Mexican peso"},
    region_vat_codes={
        "OR": "10", "TX": "11", "BC": "12", "ON": "13", "GA": "14", "NS": "15", "WA": "16",
        "CO": "17", "MA": "18", "IL": "19",
    },
    exempt_vat_code="10",
    account_format="{}0",
    banks=(("CHASE-USD-01", "CHA01", "USD"), ("RBC-CAD-01", "RBC01", "CAD")),
    supplier_groups={"100": "Suppliers of goods", "200": "Suppliers of services"},
    ap_payment_methods={"WIR": "Wire transfer", "CHQ": "Cheque"},
    purchase_order_types={"P10": "Purchase order", "P20": "Stock replenishment"},
    supplier_reference_types={"AP": "Payables contact", "SA": "Sales contact"},
)  # fmt: skip

CODE_SETS = {tenant.name: tenant for tenant in (DEFAULT, OTHER)}  # one per options.TENANTS


def tenant_for(options: SandboxOptions) -> Tenant:
    """The tenant the options name, behaving as they say."""
    return replace(
        CODE_SETS[options.tenant],
        wording=WORDINGS[options.m3_wording],
        line_tax=options.m3_line_tax,
        receipt_text=options.receipt_text,
    )
