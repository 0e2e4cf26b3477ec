with

source as (

    select * from {{ source('infor', 'chart_of_accounts') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(['trim(cono)', "'|'", 'trim(aitm)']) }} as account_key,
        trim(cono) as company,
        nullif(trim(divi), '') as division,
        cast(trim(aitp) as integer) as accounting_dimension,
        trim(aitm) as account_number,
        _dlt_id as dlt_id,

        -- descriptions
        nullif(trim(tx40), '') as account_name,
        nullif(trim(tx15), '') as account_short_name,
        nullif(trim(aicl), '') as account_group,
        nullif(trim(cucd), '') as currency_code,
        nullif(trim(chid), '') as changed_by,

        -- dates and timestamps
        {{ m3_date('vfdt') }} as valid_from_on,
        {{ m3_date('vtdt') }} as valid_to_on,
        {{ m3_date('rgdt') }} as entered_on,
        {{ m3_date('lmdt') }} as changed_on,
        {{ m3_timestamp('lmts') }} as changed_at,
        {{ dlt_loaded_at() }} as loaded_at,

        -- flags
        coalesce(trim(at01), '') = '1' as is_balance_sheet_account,
        coalesce(trim(at02), '') = '1' as is_profit_and_loss_account,
        coalesce(trim(at03), '') = '1' as is_receivable_account,
        coalesce(trim(at11), '') = '1' as is_payable_account,
        coalesce(trim(lccd), '') = '1' as is_blocked

    from source

)

select * from renamed
