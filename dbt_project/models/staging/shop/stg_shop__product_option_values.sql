with

source as (

    select * from {{ source('shop', 'products__options__values') }}

),

renamed as (

    select
        -- ids
        _dlt_parent_id as product_option_dlt_id,
        _dlt_root_id as product_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        value as option_value,
        _dlt_list_idx as option_value_index

    from source

)

select * from renamed
