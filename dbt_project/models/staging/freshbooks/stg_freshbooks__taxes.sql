with

source as (

    select * from {{ source('freshbooks', 'taxes') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['account_id', "'|'", 'id']) }} as tax_key,
        account_id,
        id as tax_id,
        _dlt_id as dlt_id,

        -- descriptions
        name as tax_name,
        number as tax_number,

        -- rates (FreshBooks sends the percentage as `amount`)
        {{ rate('amount') }} as tax_percent,

        -- dates and timestamps
        {{ eastern_to_utc('updated') }} as updated_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        compound as is_compound

    from source

)

select * from renamed
