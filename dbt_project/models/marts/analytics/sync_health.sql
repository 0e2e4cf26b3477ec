-- One row per push target and entity from the ops ledger. Each record (target, entity, natural
-- key) counts once, in the state of its current intent (the content a plan held last), with one
-- column per state of the record state machine (reverse_etl/states.py, read through the
-- generated `ledger_record_states` macro): the state counts add up to `record_count` whatever
-- the states are. Also: open dead letters, the last run that touched the entity (a run still
-- `running` after its heartbeat lapsed has crashed), and how long the oldest open record
-- (pending, failed or replayed) has waited. No rows until reverse ETL has recorded something.

{%- set record_states = ledger_record_states() %}
{%- set open_states = record_states | selectattr('open') | map(attribute='name') | list %}
{%- set attention_states = record_states | selectattr('needs_attention') | map(attribute='name') | list %}
{%- set attention_runs = ledger_run_states() | selectattr('needs_attention') | map(attribute='name') | list %}

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

ranked_intents as (

    select
        records.*,
        row_number() over (
            partition by target, entity, natural_key
            order by coalesce(planned_at, last_attempt_at, first_attempt_at) desc nulls last, intent_key
        ) as intent_recency

    from records

),

current_records as (

    select * from ranked_intents where intent_recency = 1

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
        {%- for state in record_states %}
        count(case when status = '{{ state.name }}' then 1 end) as {{ state.name }}_count,
        {%- endfor %}
        count(case when status in ('{{ attention_states | join("', '") }}') then 1 end) as attention_count,
        min(
            case
                when status in ('{{ open_states | join("', '") }}')
                    then coalesce(first_attempt_at, last_attempt_at)
            end
        ) as oldest_unsettled_at

    from current_records
    group by target, entity

),

intent_counts as (

    select
        target,
        entity,
        count(*) as intent_count

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

runs_as_they_stand as (

    select
        run_id,
        command,
        case
            when status = 'running' and alive_until < {{ utc_now() }} then 'crashed'
            else status
        end as status,
        started_at,
        finished_at

    from runs

),

entity_runs as (

    select distinct
        records.target,
        records.entity,
        runs_as_they_stand.run_id,
        runs_as_they_stand.command,
        runs_as_they_stand.status,
        runs_as_they_stand.started_at,
        runs_as_they_stand.finished_at

    from records
    inner join runs_as_they_stand on records.run_id = runs_as_they_stand.run_id

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
        {%- for state in record_states %}
        coalesce(record_counts.{{ state.name }}_count, 0) as {{ state.name }}_count,
        {%- endfor %}
        coalesce(intent_counts.intent_count, 0) as intent_count,
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
        coalesce(record_counts.attention_count, 0) > 0
            or coalesce(open_dead_letters.open_dead_letter_count, 0) > 0
            or coalesce(last_runs.status in ('{{ attention_runs | join("', '") }}'), false)
            as needs_attention

    from target_entities
    left join record_counts
        on target_entities.target = record_counts.target
        and target_entities.entity = record_counts.entity
    left join intent_counts
        on target_entities.target = intent_counts.target
        and target_entities.entity = intent_counts.entity
    left join open_dead_letters
        on target_entities.target = open_dead_letters.target
        and target_entities.entity = open_dead_letters.entity
    left join last_runs
        on target_entities.target = last_runs.target
        and target_entities.entity = last_runs.entity

)

select * from final
