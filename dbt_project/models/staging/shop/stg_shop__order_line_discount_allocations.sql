with

source as (

    select * from {{ source('shop', 'orders__line_items__discount_allocations') }}

),

renamed as (

    select
        -- ids
        _dlt_parent_id as order_line_dlt_id,
        _dlt_root_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        -- position of the order's discount application this amount comes from
        discount_application_index,
        _dlt_list_idx as allocation_index,

        -- money
        amount_set__shop_money__currency_code as currency_code,
        {{ money('amount') }} as discount_amount

    from source

)

select * from renamed
