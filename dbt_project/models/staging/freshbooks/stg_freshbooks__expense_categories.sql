with

source as (

    select * from {{ source('freshbooks', 'expense_categories') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['account_id', "'|'", 'id']) }} as category_key,
        account_id,
        id as category_id,
        _dlt_id as dlt_id,

        -- descriptions
        category as category_name,

        -- dates and timestamps
        {{ eastern_to_utc('created_at') }} as created_at,
        {{ eastern_to_utc('updated_at') }} as updated_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        is_cogs,
        is_editable,
        transaction_posted as is_transaction_posted,
        vis_state = 1 as is_deleted,
        vis_state = 2 as is_archived

    from source

)

select * from renamed
