with

source as (

    select * from {{ source('infor', 'customers') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['trim(cono)', "'|'", 'trim(cuno)']) }} as customer_key,
        trim(cono) as company,
        nullif(trim(divi), '') as division,
        trim(cuno) as customer_number,
        nullif(trim(pyno), '') as payer_number,
        nullif(trim(alcu), '') as search_key,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(cunm), '') as customer_name,
        nullif(trim(cua1), '') as address_line_1,
        nullif(trim(cua2), '') as address_line_2,
        nullif(trim(cua3), '') as address_line_3,
        nullif(trim(cua4), '') as address_line_4,
        nullif(trim(town), '') as city,
        nullif(trim(ecar), '') as state_code,
        nullif(trim(pono), '') as postal_code,
        nullif(trim(cscd), '') as country_code,
        nullif(trim(phno), '') as phone,
        nullif(trim(phn2), '') as phone_2,
        nullif(trim(tfno), '') as fax,
        nullif(trim(mail), '') as email,
        nullif(trim(yref), '') as contact_reference,
        nullif(trim(vrno), '') as vat_number,
        nullif(trim(vtcd), '') as vat_code,
        nullif(trim(lncd), '') as language_code,
        nullif(trim(cutp), '') as customer_type,
        nullif(trim(cucl), '') as customer_group,
        nullif(trim(ortp), '') as order_type,
        nullif(trim(tepy), '') as payment_terms,
        nullif(trim(modl), '') as delivery_method,
        nullif(trim(tedl), '') as delivery_terms,
        nullif(trim(faci), '') as facility,
        nullif(trim(whlo), '') as warehouse,
        nullif(trim(cucd), '') as currency_code,

        -- money
        {{ money('crlm') }} as credit_limit,

        -- status
        nullif(trim(stat), '') as status_code,

        -- dates and timestamps
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags (M3 customer status: 10 preliminary, 20 definite, 90 blocked)
        coalesce(trim(stat), '') = '90' as is_blocked

    from source

)

select * from renamed
