with

source as (

    select * from {{ source('infor', 'customer_order_lines') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['trim(cono)', "'|'", 'trim(orno)', "'|'", 'trim(ponr)', "'|'", 'trim(posx)']) }}
            as customer_order_line_key,
        trim(cono) as company,
        nullif(trim(divi), '') as division,
        trim(orno) as order_number,
        cast(trim(ponr) as integer) as line_number,
        cast(trim(posx) as integer) as line_suffix,
        nullif(trim(itno), '') as item_number,
        nullif(trim(cuor), '') as customer_po_number,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(itds), '') as item_description,
        nullif(trim(whlo), '') as warehouse,
        nullif(trim(alun), '') as unit_of_measure,
        nullif(trim(spun), '') as price_unit_of_measure,

        -- quantities (basic unit of measure)
        cast(nullif(trim(orqt), '') as decimal(18, 4)) as ordered_quantity,
        cast(nullif(trim(alqt), '') as decimal(18, 4)) as allocated_quantity,
        cast(nullif(trim(dlqt), '') as decimal(18, 4)) as delivered_quantity,
        cast(nullif(trim(ivqt), '') as decimal(18, 4)) as invoiced_quantity,

        -- money
        nullif(trim(cucd), '') as currency_code,
        {{ money('sapr') }} as sales_price,
        {{ money('nepr') }} as net_price,
        {{ money('nlam') }} as net_line_amount,

        -- status
        nullif(trim(orst), '') as line_status,

        -- dates and timestamps
        {{ m3_date('dwdt') }} as requested_delivery_on,
        {{ m3_date('codt') }} as confirmed_delivery_on,
        {{ dlt_loaded_at() }} as loaded_at

    from source

)

select * from renamed
