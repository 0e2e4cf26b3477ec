-- One row per Infor GL voucher line, with the account's name and a signed amount.

with

lines as (

    select * from {{ ref('stg_infor__gl_voucher_lines') }}

),

accounts as (

    select account_number, account_name from {{ ref('stg_infor__chart_of_accounts') }}

),

final as (

    select
        lines.gl_voucher_line_key,
        lines.company,
        lines.division,
        lines.accounting_year,
        lines.journal_number,
        lines.journal_sequence,
        lines.voucher_series,
        lines.voucher_number,
        lines.account_number,
        accounts.account_name,
        lines.amount,
        case when lines.is_debit then lines.amount else 0 end as debit_amount,
        case when lines.is_debit then 0 else -lines.amount end as credit_amount,
        lines.debit_credit_code,
        lines.currency_code,
        lines.voucher_text,
        lines.accounted_on

    from lines
    left join accounts on lines.account_number = accounts.account_number

)

select * from final
