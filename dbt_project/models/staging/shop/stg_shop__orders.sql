with

source as (

    select * from {{ source('shop', 'orders') }}

),

renamed as (

    select
        -- ids
        id as order_id,
        order_number,
        name as order_name,
        customer__id as customer_id,
        checkout_id,
        confirmation_number,
        _dlt_id as dlt_id,

        -- descriptions
        email,
        contact_email,
        customer__email as customer_email,
        customer__first_name as customer_first_name,
        customer__last_name as customer_last_name,
        customer__phone as customer_phone,
        customer__tags as customer_tags,
        gateway as payment_gateway,
        source_name,
        tags,
        customer_locale,
        cancel_reason,
        billing_address__name as billing_name,
        billing_address__first_name as billing_first_name,
        billing_address__last_name as billing_last_name,
        billing_address__company as billing_company,
        billing_address__address1 as billing_address_line_1,
        billing_address__city as billing_city,
        billing_address__province as billing_province,
        billing_address__province_code as billing_province_code,
        billing_address__zip as billing_postal_code,
        billing_address__country as billing_country,
        billing_address__country_code as billing_country_code,
        billing_address__phone as billing_phone,
        shipping_address__name as shipping_name,
        shipping_address__first_name as shipping_first_name,
        shipping_address__last_name as shipping_last_name,
        shipping_address__company as shipping_company,
        shipping_address__address1 as shipping_address_line_1,
        shipping_address__city as shipping_city,
        shipping_address__province as shipping_province,
        shipping_address__province_code as shipping_province_code,
        shipping_address__zip as shipping_postal_code,
        shipping_address__country as shipping_country,
        shipping_address__country_code as shipping_country_code,
        shipping_address__phone as shipping_phone,

        -- quantities
        total_weight as total_weight_grams,

        -- money (shop currency)
        currency as currency_code,
        presentment_currency as presentment_currency_code,
        {{ money('total_line_items_price') }} as line_items_amount,
        {{ money('total_discounts') }} as discount_amount,
        {{ money('subtotal_price') }} as subtotal_amount,
        {{ money('total_shipping_price_set__shop_money__amount') }} as shipping_amount,
        {{ money('total_tax') }} as tax_amount,
        {{ money('total_tip_received') }} as tip_amount,
        {{ money('total_price') }} as total_amount,
        {{ money('total_outstanding') }} as outstanding_amount,
        {{ money('current_subtotal_price') }} as current_subtotal_amount,
        {{ money('current_total_discounts') }} as current_discount_amount,
        {{ money('current_total_tax') }} as current_tax_amount,
        {{ money('current_total_price') }} as current_total_amount,

        -- status
        financial_status,
        fulfillment_status,

        -- dates and timestamps
        {{ aware_to_utc('created_at') }} as created_at,
        {{ aware_to_utc('processed_at') }} as processed_at,
        {{ aware_to_utc('updated_at') }} as updated_at,
        {{ aware_to_utc('closed_at') }} as closed_at,
        {{ aware_to_utc('cancelled_at') }} as cancelled_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        test as is_test,
        confirmed as is_confirmed,
        taxes_included as is_tax_included,
        buyer_accepts_marketing as is_marketing_accepted,
        cancelled_at is not null as is_cancelled

    from source

)

select * from renamed
