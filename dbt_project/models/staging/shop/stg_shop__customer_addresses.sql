with

source as (

    select * from {{ source('shop', 'customers__addresses') }}

),

renamed as (

    select
        -- ids
        id as customer_address_id,
        customer_id,
        _dlt_parent_id as customer_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        company,
        name as address_name,
        first_name,
        last_name,
        address1 as address_line_1,
        city,
        province,
        province_code,
        zip as postal_code,
        country,
        country_code,
        phone,
        _dlt_list_idx as address_index,

        -- flags
        {{ adapter.quote('default') }} as is_default

    from source

)

select * from renamed
