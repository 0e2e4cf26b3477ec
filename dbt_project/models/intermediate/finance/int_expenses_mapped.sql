-- FreshBooks expenses with their category and the Infor GL accounts the category maps to.
-- An expense whose category has no mapping keeps null accounts and says so: it must reach
-- the rejects with a reason, not the GL.

with

expenses as (

    select * from {{ ref('stg_freshbooks__expenses') }}

),

categories as (

    select * from {{ ref('stg_freshbooks__expense_categories') }}

),

gl_accounts as (

    select * from {{ ref('expense_category_gl_accounts') }}

),

joined as (

    select
        expenses.*,
        categories.category_name,
        gl_accounts.gl_account,
        gl_accounts.offset_account,
        gl_accounts.expense_category is not null as is_mapped

    from expenses
    left join categories
        on expenses.account_id = categories.account_id
        and expenses.category_id = categories.category_id
    left join gl_accounts
        on categories.category_name = gl_accounts.expense_category

)

select * from joined
