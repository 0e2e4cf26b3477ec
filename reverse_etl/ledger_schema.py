"""The `ops` schema: the push ledger that reverse ETL writes and dbt reads back.

dbt's sync models leave out what `ops` shows as already pushed with the same content hash, and
the matching models read the id crosswalk, so the run after a successful push plans nothing.
The tables are created here, once, before dbt or a push needs them.
"""

from __future__ import annotations

import duckdb

OPS_DDL = """
create schema if not exists ops;

create table if not exists ops.sync_runs (
    run_id varchar primary key,
    command varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,               -- running | succeeded | failed
    planned integer default 0,
    created integer default 0,
    updated integer default 0,
    unchanged integer default 0,
    failed integer default 0,
    dead_lettered integer default 0
);

create table if not exists ops.sync_records (
    intent_key varchar primary key,        -- hash of (target, entity, natural key, content hash)
    target varchar not null,               -- freshbooks | infor
    entity varchar not null,               -- e.g. customers, customer_orders, gl_journals
    natural_key varchar not null,          -- what finds the record in the target
    content_hash varchar not null,
    operation varchar not null,            -- create | update | void
    -- pending | created | updated | unchanged | failed | dead_lettered | superseded
    status varchar not null,
    attempts integer not null default 0,
    target_id varchar,                     -- the id the target gave the record
    error_code varchar,
    error_message varchar,
    first_attempt_at timestamp,
    last_attempt_at timestamp,
    run_id varchar,
    payload varchar                        -- what the operation writes, JSON (nulls not sent)
);

create table if not exists ops.id_crosswalk (
    entity varchar not null,               -- customer | invoice | payment | expense | item
    freshbooks_account_id varchar,
    freshbooks_id varchar,
    infor_company varchar,
    infor_key varchar,
    shop_id varchar,
    source varchar not null,               -- push | review
    updated_at timestamp not null
);

create table if not exists ops.dead_letters (
    intent_key varchar primary key,
    target varchar not null,
    entity varchar not null,
    natural_key varchar not null,
    payload varchar not null,              -- the row as planned, JSON
    reason varchar not null,
    error_code varchar,
    attempts integer not null,
    failed_at timestamp not null,
    status varchar not null                -- open | replayed | discarded
);
"""


# Columns added since the tables were first created: a ledger from before gets them empty.
OPS_MIGRATIONS = """
alter table ops.sync_records add column if not exists payload varchar;
"""


def ensure_ops_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the ops tables if they are missing, and add newer columns (safe on every run)."""
    connection.execute(OPS_DDL)
    connection.execute(OPS_MIGRATIONS)
