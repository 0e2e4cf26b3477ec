with

source as (

    select * from {{ source('shop', 'customers') }}

),

renamed as (

    select
        -- ids
        id as customer_id,
        default_address__id as default_address_id,
        last_order_id,
        last_order_name,
        _dlt_id as dlt_id,

        -- descriptions
        email,
        first_name,
        last_name,
        phone,
        tags,
        default_address__company as company,
        default_address__name as default_address_name,
        default_address__address1 as default_address_line_1,
        default_address__city as default_address_city,
        default_address__province as default_address_province,
        default_address__province_code as default_address_province_code,
        default_address__zip as default_address_postal_code,
        default_address__country as default_address_country,
        default_address__country_code as default_address_country_code,
        default_address__phone as default_address_phone,
        email_marketing_consent__state as email_marketing_consent,

        -- quantities
        orders_count as order_count,

        -- money
        currency as currency_code,
        {{ money('total_spent') }} as total_spent_amount,

        -- status
        state as account_state,

        -- dates and timestamps
        {{ aware_to_utc('created_at') }} as created_at,
        {{ aware_to_utc('updated_at') }} as updated_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        verified_email as is_email_verified,
        tax_exempt as is_tax_exempt

    from source

)

select * from renamed
