with

source as (

    select * from {{ source('infor', 'deliveries') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['trim(cono)', "'|'", 'trim(dlix)']) }} as delivery_key,
        trim(cono) as company,
        nullif(trim(divi), '') as division,
        trim(dlix) as delivery_number,
        nullif(trim(conn), '') as shipment_number,
        nullif(trim(rorc), '') as order_category,
        nullif(trim(ridn), '') as order_number,
        nullif(trim(cuor), '') as customer_po_number,
        nullif(trim(ivno), '') as invoice_number,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(whlo), '') as warehouse,
        nullif(trim(modl), '') as delivery_method,
        nullif(trim(tedl), '') as delivery_terms,
        nullif(trim(rout), '') as route,
        cast(nullif(trim(nrul), '') as integer) as package_count,

        -- status (PGRS 60 = reported: the goods left)
        nullif(trim(pgrs), '') as delivery_status,
        nullif(trim(pist), '') as packing_status,

        -- dates and timestamps
        {{ m3_date('gedt') }} as generated_on,
        {{ m3_date('trdt') }} as transaction_on,
        {{ m3_date('dsdt') }} as departed_on,
        {{ m3_date('ivdt') }} as invoiced_on,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        coalesce(trim(blop), '') = '1' as is_blocked

    from source

)

select * from renamed
