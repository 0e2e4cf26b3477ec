with

source as (

    select * from {{ source('freshbooks', 'payments') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['account_id', "'|'", 'id']) }} as payment_key,
        account_id,
        id as payment_id,
        invoiceid as invoice_id,
        clientid as client_id,
        transactionid as gateway_transaction_id,
        _dlt_id as dlt_id,

        -- descriptions
        type as payment_type,
        gateway,
        note,

        -- money
        amount__code as currency_code,
        {{ money('amount__amount') }} as amount,

        -- dates and timestamps
        cast(nullif(date, '') as date) as paid_on,
        {{ eastern_to_utc('updated') }} as updated_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        from_credit as is_from_credit,
        vis_state = 1 as is_deleted,
        vis_state = 2 as is_archived

    from source

)

select * from renamed
