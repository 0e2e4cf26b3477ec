"""What every emulated M3 company shares: company number, users, and what its statuses mean.

The codes that differ between tenants (division, warehouse, templates, ...) are in `tenant`.
"""

from __future__ import annotations

TENANT = "LEDGERLINK_TST"
CONO = "100"
API_USER = "LLSYNC"  # CHID on records changed through the API
SEED_USER = "M3ADMIN"  # CHID on the seeded history

# Payment terms (TEPY): the code is the number of days net.
DEFAULT_TERMS = "30"

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

# AP transaction codes (TRCD): a supplier invoice's own open item, a payment booked against it.
TRCD_SUPPLIER_INVOICE = "40"
TRCD_SUPPLIER_PAYMENT = "50"

# Supplier invoice batches (APS450MI): invoice status SUPA. An approved batch is in AP.
INVOICE_ENTERED = "10"
INVOICE_APPROVED = "50"
INVOICE_REJECTED = "90"

# Purchase order and line statuses (PUSL/PUST).
PO_ENTERED = "20"
PO_PART_RECEIVED = "75"
PO_RECEIVED = "85"

# Bank statements (ABS100MI): status BSHS.
STATEMENT_ENTERED = "1"
STATEMENT_PROCESSED = "3"

# GL batches (GLS840MI) move through these states.
BATCH_OPEN = "open"
BATCH_CONTROLLED = "controlled"
BATCH_POSTED = "posted"
VOUCHER_SERIES = "GL"


def terms_days(code: str) -> int:
    return int(code) if code.isdigit() else int(DEFAULT_TERMS)
