with

source as (

    select * from {{ source('freshbooks', 'invoices') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['account_id', "'|'", 'id']) }} as invoice_key,
        account_id,
        id as invoice_id,
        customerid as client_id,
        invoice_number,
        _dlt_id as dlt_id,

        -- descriptions
        po_number,
        description,
        notes,
        organization,
        fname as contact_first_name,
        lname as contact_last_name,
        currency_code,

        -- money
        {{ money('amount__amount') }} as amount,
        {{ money('paid__amount') }} as paid_amount,
        {{ money('net_paid_amount__amount') }} as net_paid_amount,
        {{ money('outstanding__amount') }} as outstanding_amount,
        {{ money('discount_total__amount') }} as discount_total,

        -- status
        status as status_code,
        v3_status,
        payment_status,
        display_status,
        deposit_status,

        -- dates and timestamps (FreshBooks sends naive US/Eastern stamps)
        cast(nullif(create_date, '') as date) as issued_on,
        cast(nullif(due_date, '') as date) as due_on,
        due_offset_days,
        cast(nullif(date_paid, '') as date) as paid_on,
        {{ eastern_to_utc('created_at') }} as created_at,
        {{ eastern_to_utc('updated') }} as updated_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        vis_state = 1 as is_deleted,
        vis_state = 2 as is_archived

    from source

)

select * from renamed
