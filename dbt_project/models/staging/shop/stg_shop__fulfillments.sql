with

source as (

    select * from {{ source('shop', 'orders__fulfillments') }}

),

renamed as (

    select
        -- ids
        id as fulfillment_id,
        order_id,
        location_id,
        _dlt_parent_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        name as fulfillment_name,
        service as fulfillment_service,
        tracking_company,
        tracking_number,

        -- status
        status as fulfillment_status,

        -- dates and timestamps
        {{ aware_to_utc('created_at') }} as created_at,
        {{ aware_to_utc('updated_at') }} as updated_at

    from source

)

select * from renamed
