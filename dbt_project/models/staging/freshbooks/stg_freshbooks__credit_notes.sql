with

source as (

    select * from {{ source('freshbooks', 'credit_notes') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['account_id', "'|'", 'id']) }} as credit_note_key,
        account_id,
        id as credit_note_id,
        clientid as client_id,
        credit_number as credit_note_number,
        _dlt_id as dlt_id,

        -- descriptions
        credit_type,
        description,
        notes,
        organization,
        fname as contact_first_name,
        lname as contact_last_name,
        street,
        street2 as street_2,
        city,
        province,
        code as postal_code,
        country,
        currency_code,

        -- money
        {{ money('amount__amount') }} as amount,
        {{ money('paid__amount') }} as paid_amount,

        -- status
        status,
        display_status,
        payment_status,
        nullif(payment_type, '') as payment_type,

        -- dates and timestamps
        cast(nullif(create_date, '') as date) as issued_on,
        {{ eastern_to_utc('created_at') }} as created_at,
        {{ eastern_to_utc('updated') }} as updated_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        vis_state = 1 as is_deleted,
        vis_state = 2 as is_archived

    from source

)

select * from renamed
