"""The concurrency pool every warehouse writer shares.

DuckDB lets one process write the file at a time. Every asset that writes it (dlt loads, dbt
builds, pushes, which record their ledger there) is in this pool, and `dagster.yaml` limits it
to one at a time per run, so runs queue instead of failing on the file lock.
"""

WAREHOUSE_POOL = "ledgerlink_warehouse"
WAREHOUSE_TAG = "ledgerlink/warehouse"
