with

source as (

    select * from {{ source('shop', 'orders__fulfillments__line_items') }}

),

renamed as (

    select
        -- ids
        -- a fulfillment lists the order's line items it ships, by their own id
        id as order_line_id,
        product_id,
        variant_id,
        sku,
        _dlt_parent_id as fulfillment_dlt_id,
        _dlt_root_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        title as product_title,
        _dlt_list_idx as line_index,

        -- quantities
        quantity,

        -- status
        fulfillment_status

    from source

)

select * from renamed
