with

source as (

    select * from {{ source('shop', 'orders__line_items') }}

),

renamed as (

    select
        -- ids
        id as order_line_id,
        product_id,
        variant_id,
        sku,
        _dlt_parent_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        name as line_name,
        title as product_title,
        vendor,
        fulfillment_service,
        _dlt_list_idx as line_index,

        -- quantities
        quantity,
        current_quantity,
        fulfillable_quantity,
        grams,

        -- money
        price_set__shop_money__currency_code as currency_code,
        {{ money('price') }} as unit_price,
        {{ money('total_discount') }} as discount_amount,

        -- status
        fulfillment_status,

        -- flags
        taxable as is_taxable,
        requires_shipping as is_shipping_required,
        gift_card as is_gift_card,
        product_exists as is_product_existing

    from source

)

select * from renamed
