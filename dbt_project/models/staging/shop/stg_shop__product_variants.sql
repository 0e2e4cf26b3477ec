with

source as (

    select * from {{ source('shop', 'products__variants') }}

),

renamed as (

    select
        -- ids
        id as variant_id,
        product_id,
        inventory_item_id,
        sku,
        _dlt_parent_id as product_dlt_id,
        _dlt_id as dlt_id,

        -- descriptions
        title as variant_title,
        option1 as option_1,
        position as variant_position,
        fulfillment_service,
        inventory_management,
        inventory_policy,
        weight_unit,

        -- quantities
        inventory_quantity,
        grams,
        cast(weight as decimal(18, 4)) as weight,

        -- money (shop currency)
        {{ money('price') }} as price,

        -- dates and timestamps
        {{ aware_to_utc('created_at') }} as created_at,
        {{ aware_to_utc('updated_at') }} as updated_at,

        -- flags
        taxable as is_taxable,
        requires_shipping as is_shipping_required

    from source

)

select * from renamed
