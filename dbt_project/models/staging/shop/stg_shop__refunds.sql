with

source as (

    select * from {{ source('shop', 'orders__refunds') }}

),

renamed as (

    select
        -- ids
        id as refund_id,
        order_id,
        _dlt_parent_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        note,

        -- money
        total_duties_set__shop_money__currency_code as currency_code,
        {{ money('total_duties_set__shop_money__amount') }} as duties_amount,

        -- dates and timestamps
        {{ aware_to_utc('created_at') }} as created_at,
        {{ aware_to_utc('processed_at') }} as processed_at,

        -- flags
        restock as is_restocked

    from source

)

select * from renamed
