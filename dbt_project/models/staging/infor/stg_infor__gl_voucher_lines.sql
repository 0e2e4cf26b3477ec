with

source as (

    select * from {{ source('infor', 'gl_voucher_lines') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat([
            'trim(cono)', "'|'", 'trim(divi)', "'|'", 'trim(yea4)', "'|'", 'trim(jrno)', "'|'", 'trim(jsno)'
        ]) }} as gl_voucher_line_key,
        trim(cono) as company,
        trim(divi) as division,
        cast(trim(yea4) as integer) as accounting_year,
        cast(trim(jrno) as integer) as journal_number,
        cast(trim(jsno) as integer) as journal_sequence,
        nullif(trim(vser), '') as voucher_series,
        nullif(trim(vono), '') as voucher_number,
        -- accounting dimensions: AIT1 is the GL account
        nullif(trim(ait1), '') as account_number,
        nullif(trim(ait2), '') as dimension_2,
        nullif(trim(ait3), '') as dimension_3,
        nullif(trim(ait4), '') as dimension_4,
        nullif(trim(ait5), '') as dimension_5,
        nullif(trim(ait6), '') as dimension_6,
        nullif(trim(ait7), '') as dimension_7,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(vtxt), '') as voucher_text,
        nullif(trim(tdsc), '') as transaction_description,
        nullif(trim(trcd), '') as transaction_code,
        nullif(trim(chid), '') as changed_by,

        -- money (ACAM in the company's local currency, signed: debit +, credit -; CUAM in CUCD)
        {{ money('acam') }} as amount,
        nullif(trim(cucd), '') as currency_code,
        {{ money('cuam') }} as foreign_amount,
        nullif(trim(crtp), '') as exchange_rate_type,
        {{ rate('arat') }} as exchange_rate,

        -- status
        nullif(trim(dbcr), '') as debit_credit_code,

        -- dates and timestamps
        {{ m3_date('acdt') }} as accounted_on,
        {{ m3_date('ocdt') }} as transaction_on,
        {{ m3_date('rgdt') }} as entered_on,
        {{ m3_date('lmdt') }} as changed_on,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        coalesce(trim(dbcr), '') = 'D' as is_debit

    from source

)

select * from renamed
