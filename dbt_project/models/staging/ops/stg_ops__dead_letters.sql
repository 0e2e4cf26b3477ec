with

source as (

    select * from {{ source('ops', 'dead_letters') }}

),

renamed as (

    select
        -- ids
        intent_key,
        target,
        entity,
        natural_key,

        -- descriptions
        payload,
        reason,
        error_code,
        status,

        -- counts and timestamps
        attempts,
        failed_at,
        closed_at,

        -- flags
        status = 'open' as is_open

    from source

)

select * from renamed
