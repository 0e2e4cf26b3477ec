{%- set written = ledger_record_states() | selectattr('written') | map(attribute='name') | list %}

with

source as (

    select * from {{ source('ops', 'sync_records') }}

),

renamed as (

    select
        -- ids
        intent_key,
        target,
        entity,
        natural_key,
        content_hash,
        target_id,
        run_id,

        -- status
        operation,
        status,
        attempts,
        error_code,
        error_message,
        payload,

        -- timestamps
        planned_at,
        first_attempt_at,
        last_attempt_at,

        -- flags
        status in ('{{ written | join("', '") }}') as is_applied

    from source

)

select * from renamed
