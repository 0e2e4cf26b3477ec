-- One row per account of the Infor chart (accounting dimension 1): what a person reads when
-- choosing the account an expense category posts to, and how often the GL has used it.

with

accounts as (

    select * from {{ ref('stg_infor__chart_of_accounts') }}
    where accounting_dimension = 1

),

journal_lines as (

    select * from {{ ref('stg_infor__gl_voucher_lines') }}

),

lines_per_account as (

    select
        account_number,
        count(*) as posted_line_count

    from journal_lines
    group by account_number

),

final as (

    select
        accounts.account_number,
        accounts.account_name,
        accounts.account_short_name,
        accounts.account_group,
        accounts.is_profit_and_loss_account,
        accounts.is_blocked,
        coalesce(lines_per_account.posted_line_count, 0) as posted_line_count

    from accounts
    left join lines_per_account on accounts.account_number = lines_per_account.account_number

)

select * from final
