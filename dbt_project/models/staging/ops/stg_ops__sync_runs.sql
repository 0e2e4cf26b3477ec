with

source as (

    select * from {{ source('ops', 'sync_runs') }}

),

renamed as (

    select
        -- ids
        run_id,
        command,

        -- status and counts
        status,
        planned,
        created,
        updated,
        unchanged,
        failed,
        dead_lettered,

        -- timestamps
        started_at,
        finished_at

    from source

)

select * from renamed
