-- One row per FreshBooks expense with its category and the GL accounts it posts to.

with

expenses as (

    select * from {{ ref('int_expenses_mapped') }}

),

final as (

    select
        expense_key,
        account_id,
        expense_id,
        category_name,
        gl_account,
        offset_account,
        amount,
        tax_amount_1 as tax_amount,
        currency_code,
        incurred_on,
        {{ dbt.concat(['account_id', "'|'", 'client_id']) }} as customer_key,
        updated_at,
        is_mapped,
        is_billable,
        is_deleted

    from expenses

)

select * from final
