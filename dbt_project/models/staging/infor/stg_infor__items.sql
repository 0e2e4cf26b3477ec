with

source as (

    select * from {{ source('infor', 'items') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['trim(cono)', "'|'", 'trim(itno)']) }} as item_key,
        trim(cono) as company,
        nullif(trim(divi), '') as division,
        trim(itno) as item_number,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(itds), '') as item_name,
        nullif(trim(fuds), '') as item_description,
        nullif(trim(itty), '') as item_type,
        nullif(trim(itgr), '') as item_group,
        nullif(trim(itcl), '') as product_group,
        nullif(trim(unms), '') as unit_of_measure,
        nullif(trim(puun), '') as purchase_unit_of_measure,
        nullif(trim(spun), '') as sales_price_unit_of_measure,
        nullif(trim(mabu), '') as make_buy_code,
        nullif(trim(resp), '') as responsible,

        -- status (20 definite, 90 blocked)
        nullif(trim(stat), '') as status_code,

        -- dates and timestamps
        {{ m3_date('lmdt') }} as changed_on,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        coalesce(trim(stat), '') = '90' as is_blocked

    from source

)

select * from renamed
