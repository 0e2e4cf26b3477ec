with

source as (

    select * from {{ source('shop', 'products__options') }}

),

renamed as (

    select
        -- ids
        id as product_option_id,
        product_id,
        _dlt_parent_id as product_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        name as option_name,
        position as option_position

    from source

)

select * from renamed
