with

source as (

    select * from {{ source('infor', 'ar_open_items') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat([
            'trim(cono)', "'|'", 'trim(cuno)', "'|'", 'trim(yea4)', "'|'", 'trim(jrno)', "'|'", 'trim(jsno)'
        ]) }} as ar_open_item_key,
        trim(cono) as company,
        nullif(trim(divi), '') as division,
        trim(cuno) as customer_number,
        nullif(trim(pyno), '') as payer_number,
        cast(trim(yea4) as integer) as accounting_year,
        cast(trim(jrno) as integer) as journal_number,
        cast(trim(jsno) as integer) as journal_sequence,
        nullif(trim(cino), '') as invoice_number,
        cast(nullif(trim(inyr), '') as integer) as invoice_year,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(trcd), '') as transaction_code,
        nullif(trim(tdsc), '') as transaction_description,

        -- status (RECO 9 = reconciled, i.e. paid)
        nullif(trim(reco), '') as reconciliation_code,

        -- dates and timestamps
        {{ m3_date('ivdt') }} as invoiced_on,
        {{ m3_date('dudt') }} as due_on,
        {{ m3_date('rede') }} as reconciled_on,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        coalesce(trim(reco), '') = '9' as is_paid

    from source

)

select * from renamed
