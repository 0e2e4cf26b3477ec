with

source as (

    select * from {{ source('freshbooks', 'clients') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['account_id', "'|'", 'id']) }} as client_key,
        account_id,
        id as client_id,
        userid as user_id,
        uuid as client_uuid,
        _dlt_id as dlt_id,

        -- descriptions
        organization,
        fname as first_name,
        lname as last_name,
        email,
        username,
        bus_phone as business_phone,
        mob_phone as mobile_phone,
        fax,
        p_street as billing_street,
        p_street2 as billing_street_2,
        p_city as billing_city,
        p_province as billing_province,
        p_code as billing_postal_code,
        p_country as billing_country,
        s_street as shipping_street,
        s_street2 as shipping_street_2,
        s_city as shipping_city,
        s_province as shipping_province,
        s_code as shipping_postal_code,
        s_country as shipping_country,
        vat_name,
        vat_number,
        company_size,
        company_industry,
        currency_code,
        language as language_code,

        -- dates and timestamps (`signup_date` is naive UTC, `updated` naive US/Eastern)
        {{ naive_utc('signup_date') }} as signed_up_at,
        {{ eastern_to_utc('updated') }} as updated_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        allow_late_fees as is_late_fee_allowed,
        allow_late_notifications as is_late_reminder_allowed,
        vis_state = 1 as is_deleted,
        vis_state = 2 as is_archived

    from source

)

select * from renamed
