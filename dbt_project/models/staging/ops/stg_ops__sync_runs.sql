with

source as (

    select * from {{ source('ops', 'sync_runs') }}

),

renamed as (

    select
        -- ids
        run_id,
        command,
        pid,
        host,

        -- status and counts
        status,
        error,
        planned,
        applied,
        dead_letter_open,
        discarded,
        waiting,
        not_allowed,
        created,
        updated,
        unchanged,
        failed,
        dead_lettered,
        superseded,

        -- timestamps
        started_at,
        finished_at,
        heartbeat_at,
        alive_until

    from source

)

select * from renamed
