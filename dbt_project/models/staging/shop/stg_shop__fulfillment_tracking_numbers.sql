with

source as (

    select * from {{ source('shop', 'orders__fulfillments__tracking_numbers') }}

),

renamed as (

    select
        -- ids
        _dlt_parent_id as fulfillment_dlt_id,
        _dlt_root_id as order_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        value as tracking_number,
        _dlt_list_idx as tracking_number_index

    from source

)

select * from renamed
