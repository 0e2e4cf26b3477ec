"""The `ops` schema: the push ledger that reverse ETL writes and dbt reads back.

dbt's sync models leave out what `ops` shows as already pushed with the same content hash, and
the matching models read the id crosswalk, so the run after a successful push plans nothing.
The tables are created here, once, before dbt or a push needs them (dbt reads them as sources);
the states their `status` columns hold are declared in `reverse_etl/states.py`.
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
    status varchar not null,               -- states.RUN: running | succeeded | failed | ...
    error varchar,                         -- why it failed, was interrupted or crashed
    pid integer,                           -- the process running it, on `host`
    host varchar,
    heartbeat_at timestamp,                -- the process's last sign of life
    alive_until timestamp,                 -- still running after this without a heartbeat: crashed
    -- counts so far: the plan's decisions, then the outcomes of the writes
    planned integer default 0,
    applied integer default 0,
    dead_letter_open integer default 0,
    discarded integer default 0,
    waiting integer default 0,
    not_allowed integer default 0,
    created integer default 0,
    updated integer default 0,
    unchanged integer default 0,
    failed integer default 0,
    dead_lettered integer default 0,
    superseded integer default 0,
    held_for_review integer default 0,
    rejected integer default 0
);

create table if not exists ops.sync_records (
    intent_key varchar primary key,        -- hash of (target, entity, natural key, content hash)
    target varchar not null,               -- freshbooks | infor
    entity varchar not null,               -- e.g. customers, customer_orders, gl_journals
    natural_key varchar not null,          -- what finds the record in the target
    content_hash varchar not null,
    operation varchar not null,            -- create | update | void
    status varchar not null,               -- states.RECORD: pending | created | ... | superseded
    planned_at timestamp,                  -- a plan last held it: the latest is the record's
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
    status varchar not null,               -- states.DEAD_LETTER: open | replayed | resolved | ...
    closed_at timestamp,                   -- when it was resolved, discarded or superseded
    assigned_to varchar,                   -- the person who looks into it (an operator's choice)
    discard_reason varchar                 -- why an operator gave it up
);

-- Every try of a record and what the target answered, kept as long as the ledger: the payload
-- sent, the HTTP exchanges of the try (look-up and writes, redacted), and the outcome. A row is
-- committed before the target is called (`finished_at` null until the answer is in).
create table if not exists ops.sync_attempts (
    intent_key varchar not null,
    attempt integer not null,              -- the intent's try count then (0: a look-up only)
    run_id varchar,
    started_at timestamp not null,
    finished_at timestamp,
    payload varchar,                       -- what the write sends, JSON (edits applied)
    outcome varchar,                       -- created | updated | unchanged | failed | ...
    target_id varchar,
    error_kind varchar,                    -- the error's type: ValidationFailed, RateLimited, ...
    error_class varchar,                   -- reverse_etl.error_catalogue: value | missing | ...
    error_code varchar,
    error_field varchar,
    http_status integer,
    error_message varchar,
    exchanges varchar                      -- JSON list of {method, url, request, status, response}
);

-- What operators did, who and when: replay, discard (with the reason), edit, assign, approve,
-- reject.
create table if not exists ops.operator_actions (
    action_id varchar primary key,
    acted_at timestamp not null,
    actor varchar not null,
    action varchar not null,               -- replay | discard | edit | assign | approve | reject
    intent_key varchar not null,
    target varchar not null,
    entity varchar not null,
    natural_key varchar not null,
    detail varchar                         -- JSON: the reason, the field and its values, the person
);

-- A record the pre-posting gate held for review (reverse_etl/anomaly_gate.py): why, in words a
-- controller reads, the scores behind it, and who approved or rejected it, when and why. One row
-- per held content (intent); its state is the record's (`ops.sync_records.status`).
create table if not exists ops.review_holds (
    intent_key varchar primary key,
    target varchar not null,
    entity varchar not null,
    natural_key varchar not null,
    payload varchar not null,              -- the row as planned, JSON
    reasons varchar not null,              -- JSON list of sentences
    scores varchar,                        -- JSON: the figures the reasons quote
    held_at timestamp not null,
    decision varchar,                      -- approved | rejected (null while held)
    decided_by varchar,
    decided_at timestamp,
    decision_note varchar                  -- the reviewer's reason (required to reject)
);

-- A field of a dead letter's payload changed by an operator before a replay: the push sends
-- `after` instead of what the sync model planned, for this content (intent) only.
create table if not exists ops.payload_edits (
    edit_id varchar primary key,
    intent_key varchar not null,
    field varchar not null,
    before varchar,
    after varchar,
    edited_by varchar not null,
    edited_at timestamp not null
);

-- A field map (reverse_etl/field_maps.yml) added, changed or removed in the console: the
-- override before and after (JSON; null where there was none), who and when. Git keeps the
-- file's history; this keeps who in the deployment asked for it.
create table if not exists ops.field_map_edits (
    edit_id varchar primary key,
    sync varchar not null,
    field varchar not null,
    before varchar,
    after varchar,
    edited_by varchar not null,
    edited_at timestamp not null
);
"""


# Columns added since the tables were first created: a ledger from before gets them empty.
OPS_MIGRATIONS = """
alter table ops.sync_records add column if not exists payload varchar;
alter table ops.sync_records add column if not exists planned_at timestamp;
alter table ops.dead_letters add column if not exists closed_at timestamp;
alter table ops.sync_runs add column if not exists error varchar;
alter table ops.sync_runs add column if not exists pid integer;
alter table ops.sync_runs add column if not exists host varchar;
alter table ops.sync_runs add column if not exists heartbeat_at timestamp;
alter table ops.sync_runs add column if not exists alive_until timestamp;
alter table ops.sync_runs add column if not exists applied integer default 0;
alter table ops.sync_runs add column if not exists dead_letter_open integer default 0;
alter table ops.sync_runs add column if not exists discarded integer default 0;
alter table ops.sync_runs add column if not exists waiting integer default 0;
alter table ops.sync_runs add column if not exists not_allowed integer default 0;
alter table ops.sync_runs add column if not exists superseded integer default 0;
alter table ops.dead_letters add column if not exists assigned_to varchar;
alter table ops.dead_letters add column if not exists discard_reason varchar;
alter table ops.sync_runs add column if not exists held_for_review integer default 0;
alter table ops.sync_runs add column if not exists rejected integer default 0;
"""


def ensure_ops_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the ops tables if they are missing, and add newer columns (safe on every run)."""
    connection.execute(OPS_DDL)
    connection.execute(OPS_MIGRATIONS)
