with

source as (

    select * from {{ source('infor', 'suppliers') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['trim(cono)', "'|'", 'trim(suno)']) }} as supplier_key,
        trim(cono) as company,
        nullif(trim(divi), '') as division,
        trim(suno) as supplier_number,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(sunm), '') as supplier_name,
        nullif(trim(phno), '') as phone,
        nullif(trim(cscd), '') as country_code,
        nullif(trim(lncd), '') as language_code,
        nullif(trim(suty), '') as supplier_type,
        nullif(trim(sucl), '') as supplier_group,
        nullif(trim(orty), '') as order_type,
        nullif(trim(tepy), '') as payment_terms,
        nullif(trim(pyme), '') as payment_method,
        nullif(trim(vtcd), '') as vat_code,
        nullif(trim(cucd), '') as currency_code,
        nullif(trim(crtp), '') as exchange_rate_type,

        -- dates and timestamps
        {{ dlt_loaded_at() }} as loaded_at

    from source

)

select * from renamed
