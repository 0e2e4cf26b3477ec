"""The Infor M3 lists we load: which MI transaction, its key, and how a run finds changes."""

from __future__ import annotations

# M3 sends every value as a string and never changes a field's type; new fields may appear
# after an upgrade and evolve into new columns.
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "evolve", "data_type": "evolve"}

PAGE_SIZE = 500  # rows per MI call when paging by start key
ITEM_OVERLAP_DAYS = 1  # LstItmByChgDate is day-granular

# History. Without INFOR_HISTORY_START the first load reads invoices (by year) and GL vouchers
# (by yearly accounting-date window) backwards from this year, and stops after this many years
# in a row with nothing in them: M3 has no "first year" to ask for (see `history.py`).
EMPTY_YEARS_TO_STOP = 3
# Later runs re-read invoices of this year and the years before it: their status and
# remaining amount change until they are paid.
INVOICE_REREAD_YEARS = 2

# The push records each GL journal it posts under this target and entity in ops.sync_records;
# the journal's batch key (KEY1) opens the voucher text of every line it posts.
OPS_SYNC_RECORDS = "ops.sync_records"
POSTED_JOURNALS = ("infor", "gl_journals")

# Primary keys per table (CONO is filled in on every row, so companies share a warehouse).
KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("CONO", "CUNO"),
    "customer_orders": ("CONO", "ORNO"),
    "customer_order_lines": ("CONO", "ORNO", "PONR", "POSX"),
    "delivery_lines": ("CONO", "DLIX", "RIDN", "RIDL", "RIDX"),
    "deliveries": ("CONO", "DLIX"),
    "customer_invoices": ("CONO", "DIVI", "YEA4", "IVNO"),
    "ar_open_items": ("CONO", "CUNO", "YEA4", "JRNO", "JSNO"),
    "chart_of_accounts": ("CONO", "AITM"),
    "gl_voucher_lines": ("CONO", "DIVI", "YEA4", "JRNO", "JSNO"),
    "suppliers": ("CONO", "SUNO"),
    "items": ("CONO", "ITNO"),
}

# The entities this source can load (raw table names); LEDGERLINK_DISABLED_ENTITIES turns any
# of them off as `infor.<name>`.
ENTITY_NAMES: tuple[str, ...] = tuple(KEYS)

# Entities read from another's rows (lines and deliveries of the order heads that changed):
# one cannot be loaded while the entity it is read from is off.
PARENTS: dict[str, str] = {
    "customer_order_lines": "customer_orders",
    "delivery_lines": "customer_orders",
    "deliveries": "delivery_lines",
}
