"""The sandbox tenant's M3 set-up: company, division, warehouse, and what its codes mean."""

from __future__ import annotations

from decimal import Decimal

TENANT = "LEDGERLINK_TST"
CONO = "100"
DIVI = "AAA"
FACI = "A01"
WHLO = "A01"
LOCAL_CURRENCY = "USD"
API_USER = "LLSYNC"  # CHID on records changed through the API
SEED_USER = "M3ADMIN"  # CHID on the seeded history

CURRENCIES = ("USD", "CAD", "EUR", "GBP")
COUNTRIES = ("US", "CA", "MX", "GB", "DE", "FR", "NL", "SE", "AU", "JP")

# VAT/sales-tax codes (VTCD) and their rates in percent; a customer's code prices its orders.
VAT_RATES = {"0": Decimal("0"), "1": Decimal("8.25"), "2": Decimal("13")}
DEFAULT_VAT_CODE = {"CA": "2"}  # other countries: "1"

# Payment terms (TEPY): the code is the number of days net.
DEFAULT_TERMS = "30"

# Customer templates (CUTM) that CRS610MI/Add accepts, with the defaults they give.
CUSTOMER_TEMPLATES = {
    "TPLUSD": {"CUNM": "TEMPLATE DOMESTIC CUSTOMER", "CUCD": "USD", "CSCD": "US", "VTCD": "1"},
    "TPLCAD": {"CUNM": "TEMPLATE CANADIAN CUSTOMER", "CUCD": "CAD", "CSCD": "CA", "VTCD": "2"},
}

# Customer groups (CUCL) the sandbox uses for the world's client types.
CUSTOMER_GROUPS = {"SMB": "SMB", "Enterprise": "ENT", "Individual": "IND", "Nonprofit": "NPO"}

# Order, line and delivery statuses (ORSL/ORST, PGRS) the lifecycle moves through.
STATUS_ENTERED = "10"  # batch order being entered (OIS100MI batch head STAT)
STATUS_CREATED = "90"  # batch order turned into a customer order
STATUS_ALLOCATED = "22"
STATUS_DELIVERED = "66"
STATUS_INVOICED = "77"
DELIVERY_REPORTED = "60"  # MWS410MI PGRS once the goods left
REFERENCE_CUSTOMER_ORDER = "3"  # RORC of customer-order delivery lines

# AR transaction codes (TRCD) and reconciliation codes (RECO).
TRCD_INVOICE = "10"
TRCD_PAYMENT = "20"
RECO_OPEN = "0"
RECO_PAID = "9"

# Bank statements (ABS100MI): status BSHS.
STATEMENT_ENTERED = "1"
STATEMENT_PROCESSED = "3"

# GL batches (GLS840MI) move through these states.
BATCH_OPEN = "open"
BATCH_CONTROLLED = "controlled"
BATCH_POSTED = "posted"
VOUCHER_SERIES = "GL"


def vat_rate(code: str) -> Decimal:
    return VAT_RATES.get(code, VAT_RATES["1"])


def terms_days(code: str) -> int:
    return int(code) if code.isdigit() else int(DEFAULT_TERMS)
