with

source as (

    select * from {{ source('shop', 'orders__refunds__transactions') }}

),

renamed as (

    select
        -- ids
        id as refund_transaction_id,
        order_id,
        _dlt_parent_id as refund_dlt_id,
        _dlt_root_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        gateway as payment_gateway,
        kind as transaction_kind,

        -- money
        currency as currency_code,
        {{ money('amount') }} as amount,

        -- status
        status as transaction_status,

        -- dates and timestamps
        {{ aware_to_utc('created_at') }} as created_at

    from source

)

select * from renamed
