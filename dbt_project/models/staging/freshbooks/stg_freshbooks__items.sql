with

source as (

    select * from {{ source('freshbooks', 'items') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['account_id', "'|'", 'id']) }} as item_key,
        account_id,
        id as item_id,
        sku,
        -- tax ids, 0 = none
        nullif(tax1, 0) as tax_id_1,
        nullif(tax2, 0) as tax_id_2,
        _dlt_id as dlt_id,

        -- descriptions
        name as item_name,
        description,

        -- quantities
        cast(nullif(trim(qty), '') as decimal(18, 4)) as quantity,

        -- money
        unit_cost__code as currency_code,
        {{ money('unit_cost__amount') }} as unit_cost,

        -- dates and timestamps
        {{ eastern_to_utc('updated') }} as updated_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        vis_state = 1 as is_deleted,
        vis_state = 2 as is_archived

    from source

)

select * from renamed
