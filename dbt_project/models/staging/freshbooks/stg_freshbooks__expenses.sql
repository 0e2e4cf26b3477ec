with

source as (

    select * from {{ source('freshbooks', 'expenses') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['account_id', "'|'", 'id']) }} as expense_key,
        account_id,
        id as expense_id,
        categoryid as category_id,
        nullif(clientid, 0) as client_id,
        nullif(projectid, 0) as project_id,
        staffid as staff_id,
        _dlt_id as dlt_id,

        -- descriptions
        vendor,
        notes,
        bank_name,
        account_name as bank_account_name,
        nullif(tax_name1, '') as tax_name_1,

        -- money
        amount__code as currency_code,
        {{ money('amount__amount') }} as amount,
        {{ money('tax_amount1__amount') }} as tax_amount_1,

        -- rates
        {{ rate('tax_percent1') }} as tax_percent_1,
        {{ rate('markup_percent') }} as markup_percent,

        -- status
        status as status_code,

        -- dates and timestamps
        cast(nullif(date, '') as date) as incurred_on,
        {{ eastern_to_utc('updated') }} as updated_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        billable as is_billable,
        has_receipt,
        is_cogs,
        isduplicate as is_duplicate,
        compounded_tax as is_tax_compounded,
        vis_state = 1 as is_deleted,
        vis_state = 2 as is_archived

    from source

)

select * from renamed
