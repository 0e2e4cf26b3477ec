with

source as (

    select * from {{ source('freshbooks', 'invoices__lines') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['invoiceid', "'|'", 'lineid']) }} as invoice_line_key,
        invoiceid as invoice_id,
        lineid as line_id,
        nullif(expenseid, 0) as expense_id,
        _dlt_parent_id as invoice_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        name as item_name,
        description,
        type as line_type,
        _dlt_list_idx as line_index,

        -- quantities
        cast(nullif(trim(qty), '') as decimal(18, 4)) as quantity,

        -- money
        amount__code as currency_code,
        {{ money('unit_cost__amount') }} as unit_cost,
        {{ money('amount__amount') }} as amount,

        -- taxes (FreshBooks names the percentage `taxAmount`)
        nullif(tax_name1, '') as tax_name_1,
        {{ rate('tax_amount1') }} as tax_percent_1,
        nullif(tax_number1, '') as tax_number_1,
        nullif(tax_name2, '') as tax_name_2,
        {{ rate('tax_amount2') }} as tax_percent_2,

        -- dates and timestamps
        {{ eastern_to_utc('updated') }} as updated_at,

        -- flags
        compounded_tax as is_tax_compounded

    from source

)

select * from renamed
