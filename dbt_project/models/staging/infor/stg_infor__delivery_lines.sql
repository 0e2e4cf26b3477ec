with

source as (

    select * from {{ source('infor', 'delivery_lines') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat([
            'trim(cono)', "'|'", 'trim(dlix)', "'|'", 'trim(ridn)', "'|'", 'trim(ridl)', "'|'", 'trim(ridx)'
        ]) }} as delivery_line_key,
        trim(cono) as company,
        nullif(trim(divi), '') as division,
        trim(dlix) as delivery_number,
        nullif(trim(rorc), '') as order_category,
        trim(ridn) as order_number,
        cast(trim(ridl) as integer) as line_number,
        cast(trim(ridx) as integer) as line_suffix,
        nullif(trim(itno), '') as item_number,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(faci), '') as facility,
        nullif(trim(alun), '') as unit_of_measure,
        nullif(trim(chid), '') as changed_by,
        cast(nullif(trim(chno), '') as integer) as change_number,

        -- quantities (basic unit of measure)
        cast(nullif(trim(trqt), '') as decimal(18, 4)) as delivered_quantity,
        cast(nullif(trim(plqt), '') as decimal(18, 4)) as picking_list_quantity,

        -- dates and timestamps
        {{ m3_date('rgdt') }} as entered_on,
        {{ m3_date('lmdt') }} as changed_on,
        {{ m3_timestamp('lmts') }} as changed_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        coalesce(trim(blop), '') = '1' as is_blocked

    from source

)

select * from renamed
