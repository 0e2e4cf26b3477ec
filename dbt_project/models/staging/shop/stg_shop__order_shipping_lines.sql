with

source as (

    select * from {{ source('shop', 'orders__shipping_lines') }}

),

renamed as (

    select
        -- ids
        id as shipping_line_id,
        _dlt_parent_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        code as shipping_code,
        title as shipping_title,
        source as shipping_source,
        _dlt_list_idx as shipping_line_index,

        -- money
        price_set__shop_money__currency_code as currency_code,
        {{ money('price') }} as shipping_amount,
        {{ money('discounted_price') }} as discounted_shipping_amount,

        -- flags
        is_removed

    from source

)

select * from renamed
