with

source as (

    select * from {{ source('infor', 'customer_invoices') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['trim(cono)', "'|'", 'trim(divi)', "'|'", 'trim(yea4)', "'|'", 'trim(ivno)']) }}
            as customer_invoice_key,
        trim(cono) as company,
        trim(divi) as division,
        cast(trim(yea4) as integer) as invoice_year,
        trim(ivno) as invoice_number,
        nullif(trim(exin), '') as extended_invoice_number,
        nullif(trim(vono), '') as voucher_number,
        nullif(trim(pyno), '') as payer_number,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(cunm), '') as customer_name,
        nullif(trim(faci), '') as facility,
        nullif(trim(chid), '') as changed_by,

        -- money (AMT1 gross incl. tax, AMT2 net; RAFC what is left to pay)
        nullif(trim(cucd), '') as currency_code,
        {{ money('amt1') }} as gross_amount,
        {{ money('amt2') }} as net_amount,
        {{ money('rafc') }} as remaining_amount,
        {{ rate('rain') }} as exchange_rate,

        -- status
        nullif(trim(inst), '') as invoice_status,

        -- dates and timestamps
        {{ m3_date('idat') }} as invoiced_on,
        {{ m3_date('dudt') }} as due_on,
        {{ m3_date('rgdt') }} as entered_on,
        {{ m3_date('lmdt') }} as changed_on,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        coalesce(trim(cash), '') = '1' as is_cash_sale

    from source

)

select * from renamed
