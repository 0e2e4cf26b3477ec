with

source as (

    select * from {{ source('shop', 'orders__discount_codes') }}

),

renamed as (

    select
        -- ids
        _dlt_parent_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        code as discount_code,
        type as discount_type,
        _dlt_list_idx as discount_code_index,

        -- money (in the order's currency)
        {{ money('amount') }} as discount_amount

    from source

)

select * from renamed
