-- One row per push target and entity from the ops ledger: records by outcome, open dead
-- letters, the last run that touched the entity, and how long the oldest unsettled record
-- (pending or failed) has waited. No rows until reverse ETL has recorded something.

with

records as (

    select * from {{ ref('stg_ops__sync_records') }}

),

dead_letters as (

    select * from {{ ref('stg_ops__dead_letters') }}

),

runs as (

    select * from {{ ref('stg_ops__sync_runs') }}

),

target_entities as (

    select target, entity from records
    union
    select target, entity from dead_letters

),

record_counts as (

    select
        target,
        entity,
        count(*) as record_count,
        count(case when status = 'pending' then 1 end) as pending_count,
        count(case when status = 'created' then 1 end) as created_count,
        count(case when status = 'updated' then 1 end) as updated_count,
        count(case when status = 'unchanged' then 1 end) as unchanged_count,
        count(case when status = 'failed' then 1 end) as failed_count,
        count(case when status = 'dead_lettered' then 1 end) as dead_lettered_count,
        min(
            case when status in ('pending', 'failed') then coalesce(first_attempt_at, last_attempt_at) end
        ) as oldest_unsettled_at

    from records
    group by target, entity

),

open_dead_letters as (

    select
        target,
        entity,
        count(*) as open_dead_letter_count,
        min(failed_at) as oldest_open_dead_letter_at

    from dead_letters
    where is_open
    group by target, entity

),

entity_runs as (

    select distinct
        records.target,
        records.entity,
        runs.run_id,
        runs.command,
        runs.status,
        runs.started_at,
        runs.finished_at

    from records
    inner join runs on records.run_id = runs.run_id

),

ranked_runs as (

    select
        entity_runs.*,
        row_number() over (
            partition by target, entity order by started_at desc, run_id desc
        ) as recency

    from entity_runs

),

last_runs as (

    select * from ranked_runs where recency = 1

),

final as (

    select
        target_entities.target,
        target_entities.entity,
        coalesce(record_counts.record_count, 0) as record_count,
        coalesce(record_counts.pending_count, 0) as pending_count,
        coalesce(record_counts.created_count, 0) as created_count,
        coalesce(record_counts.updated_count, 0) as updated_count,
        coalesce(record_counts.unchanged_count, 0) as unchanged_count,
        coalesce(record_counts.failed_count, 0) as failed_count,
        coalesce(record_counts.dead_lettered_count, 0) as dead_lettered_count,
        coalesce(open_dead_letters.open_dead_letter_count, 0) as open_dead_letter_count,
        open_dead_letters.oldest_open_dead_letter_at,
        last_runs.run_id as last_run_id,
        last_runs.command as last_run_command,
        last_runs.status as last_run_status,
        last_runs.started_at as last_run_started_at,
        last_runs.finished_at as last_run_finished_at,
        record_counts.oldest_unsettled_at,
        cast(
            {{ dbt.datediff('record_counts.oldest_unsettled_at', utc_now(), 'hour') }} as integer
        ) as oldest_unsettled_age_hours,
        coalesce(record_counts.failed_count, 0) > 0
            or coalesce(open_dead_letters.open_dead_letter_count, 0) > 0
            or coalesce(last_runs.status, '') = 'failed' as needs_attention

    from target_entities
    left join record_counts
        on target_entities.target = record_counts.target
        and target_entities.entity = record_counts.entity
    left join open_dead_letters
        on target_entities.target = open_dead_letters.target
        and target_entities.entity = open_dead_letters.entity
    left join last_runs
        on target_entities.target = last_runs.target
        and target_entities.entity = last_runs.entity

)

select * from final
