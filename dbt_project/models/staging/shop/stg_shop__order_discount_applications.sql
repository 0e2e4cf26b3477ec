with

source as (

    select * from {{ source('shop', 'orders__discount_applications') }}

),

renamed as (

    select
        -- ids
        _dlt_parent_id as order_dlt_id,
        _dlt_id as dlt_id,
        -- line discount allocations point here by this index
        _dlt_list_idx as discount_application_index,

        -- descriptions
        type as discount_type,
        code as discount_code,
        target_type,
        target_selection,
        allocation_method,
        value_type,

        -- rates (an amount when value_type is fixed_amount, a percentage when it is percentage)
        {{ rate('value') }} as discount_value

    from source

)

select * from renamed
