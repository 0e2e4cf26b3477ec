with

source as (

    select * from {{ source('shop', 'products') }}

),

renamed as (

    select
        -- ids
        id as product_id,
        handle as product_handle,
        _dlt_id as dlt_id,

        -- descriptions
        title as product_title,
        body_html as description_html,
        vendor,
        product_type,
        tags,
        published_scope,

        -- status
        status as product_status,

        -- dates and timestamps
        {{ aware_to_utc('created_at') }} as created_at,
        {{ aware_to_utc('updated_at') }} as updated_at,
        {{ aware_to_utc('published_at') }} as published_at,
        {{ dlt_loaded_at() }} as loaded_at

    from source

)

select * from renamed
