with

source as (

    select * from {{ source('shop', 'orders__line_items__tax_lines') }}

),

renamed as (

    select
        -- ids
        _dlt_parent_id as order_line_dlt_id,
        _dlt_root_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        title as tax_title,
        _dlt_list_idx as tax_line_index,

        -- money
        price_set__shop_money__currency_code as currency_code,
        {{ money('price') }} as tax_amount,

        -- rates (a fraction: 0.0825 = 8.25 %)
        {{ rate('rate') }} as tax_rate,

        -- flags
        channel_liable as is_channel_liable

    from source

)

select * from renamed
