with

source as (

    select * from {{ source('shop', 'orders__payment_gateway_names') }}

),

renamed as (

    select
        -- ids
        _dlt_parent_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        value as payment_gateway,
        _dlt_list_idx as payment_gateway_index

    from source

)

select * from renamed
