-- One row per matched customer, month and currency: what FreshBooks invoiced and collected
-- against what Infor M3 invoiced and reconciled in AR, with the differences and drift flags.

with

invoices as (

    select * from {{ ref('fct_invoices') }}

),

payments as (

    select * from {{ ref('fct_payments') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

m3_orders as (

    select * from {{ ref('fct_sales_orders') }}

),

m3_invoices as (

    select * from {{ ref('stg_infor__customer_invoices') }}

),

m3_ar_items as (

    select * from {{ ref('stg_infor__ar_open_items') }}

),

matched_customers as (

    select customer_key, customer_name, infor_customer_number
    from customers
    where match_status = 'matched'

),

freshbooks_invoiced as (

    -- drafts never reach Infor
    select
        invoices.customer_key,
        cast({{ dbt.date_trunc('month', 'invoices.issued_on') }} as date) as month_start,
        invoices.currency_code,
        invoices.amount as freshbooks_invoiced_amount,
        1 as freshbooks_invoice_count,
        0 as freshbooks_paid_amount,
        0 as infor_ordered_net_amount,
        0 as infor_invoiced_amount,
        0 as infor_invoice_count,
        0 as infor_reconciled_amount

    from invoices
    inner join matched_customers on invoices.customer_key = matched_customers.customer_key
    where not invoices.is_deleted
        and invoices.is_sent

),

freshbooks_paid as (

    select
        payments.customer_key,
        cast({{ dbt.date_trunc('month', 'payments.paid_on') }} as date) as month_start,
        payments.currency_code,
        0 as freshbooks_invoiced_amount,
        0 as freshbooks_invoice_count,
        payments.amount as freshbooks_paid_amount,
        0 as infor_ordered_net_amount,
        0 as infor_invoiced_amount,
        0 as infor_invoice_count,
        0 as infor_reconciled_amount

    from payments
    inner join matched_customers on payments.customer_key = matched_customers.customer_key
    where not payments.is_deleted

),

infor_ordered as (

    select
        matched_customers.customer_key,
        cast({{ dbt.date_trunc('month', 'm3_orders.ordered_on') }} as date) as month_start,
        m3_orders.currency_code,
        0 as freshbooks_invoiced_amount,
        0 as freshbooks_invoice_count,
        0 as freshbooks_paid_amount,
        coalesce(m3_orders.net_amount, 0) as infor_ordered_net_amount,
        0 as infor_invoiced_amount,
        0 as infor_invoice_count,
        0 as infor_reconciled_amount

    from m3_orders
    inner join matched_customers on m3_orders.customer_number = matched_customers.infor_customer_number

),

infor_invoiced as (

    select
        matched_customers.customer_key,
        cast({{ dbt.date_trunc('month', 'm3_invoices.invoiced_on') }} as date) as month_start,
        m3_invoices.currency_code,
        0 as freshbooks_invoiced_amount,
        0 as freshbooks_invoice_count,
        0 as freshbooks_paid_amount,
        0 as infor_ordered_net_amount,
        m3_invoices.gross_amount as infor_invoiced_amount,
        1 as infor_invoice_count,
        0 as infor_reconciled_amount

    from m3_invoices
    inner join matched_customers on m3_invoices.payer_number = matched_customers.infor_customer_number

),

m3_reconciled_invoices as (

    -- ARS200MI gives no amounts: an invoice whose AR items are all reconciled (RECO 9) was paid
    -- in full, on the last reconciliation date
    select
        company,
        customer_number,
        invoice_number,
        coalesce(invoice_year, accounting_year) as invoice_year,
        max(reconciled_on) as reconciled_on

    from m3_ar_items
    group by company, customer_number, invoice_number, coalesce(invoice_year, accounting_year)
    having min(case when is_paid then 1 else 0 end) = 1

),

infor_reconciled as (

    select
        matched_customers.customer_key,
        cast({{ dbt.date_trunc('month', 'm3_reconciled_invoices.reconciled_on') }} as date) as month_start,
        m3_invoices.currency_code,
        0 as freshbooks_invoiced_amount,
        0 as freshbooks_invoice_count,
        0 as freshbooks_paid_amount,
        0 as infor_ordered_net_amount,
        0 as infor_invoiced_amount,
        0 as infor_invoice_count,
        m3_invoices.gross_amount as infor_reconciled_amount

    from m3_reconciled_invoices
    inner join m3_invoices
        on m3_reconciled_invoices.company = m3_invoices.company
        and m3_reconciled_invoices.invoice_number = m3_invoices.invoice_number
        and m3_reconciled_invoices.invoice_year = m3_invoices.invoice_year
    inner join matched_customers
        on m3_reconciled_invoices.customer_number = matched_customers.infor_customer_number
    where m3_reconciled_invoices.reconciled_on is not null

),

movements as (

    select * from freshbooks_invoiced
    union all
    select * from freshbooks_paid
    union all
    select * from infor_ordered
    union all
    select * from infor_invoiced
    union all
    select * from infor_reconciled

),

per_month as (

    select
        customer_key,
        month_start,
        currency_code,
        sum(freshbooks_invoiced_amount) as freshbooks_invoiced_amount,
        sum(freshbooks_invoice_count) as freshbooks_invoice_count,
        sum(infor_invoiced_amount) as infor_invoiced_amount,
        sum(infor_invoice_count) as infor_invoice_count,
        sum(infor_ordered_net_amount) as infor_ordered_net_amount,
        sum(freshbooks_paid_amount) as freshbooks_paid_amount,
        sum(infor_reconciled_amount) as infor_reconciled_amount

    from movements
    where month_start is not null
    group by customer_key, month_start, currency_code

),

final as (

    select
        per_month.customer_key,
        matched_customers.customer_name,
        matched_customers.infor_customer_number,
        per_month.month_start,
        per_month.currency_code,
        cast(per_month.freshbooks_invoiced_amount as decimal(18, 2)) as freshbooks_invoiced_amount,
        cast(per_month.freshbooks_invoice_count as bigint) as freshbooks_invoice_count,
        cast(per_month.infor_invoiced_amount as decimal(18, 2)) as infor_invoiced_amount,
        cast(per_month.infor_invoice_count as bigint) as infor_invoice_count,
        cast(per_month.infor_ordered_net_amount as decimal(18, 2)) as infor_ordered_net_amount,
        cast(per_month.freshbooks_invoiced_amount - per_month.infor_invoiced_amount as decimal(18, 2))
            as invoiced_difference_amount,
        cast(per_month.freshbooks_paid_amount as decimal(18, 2)) as freshbooks_paid_amount,
        cast(per_month.infor_reconciled_amount as decimal(18, 2)) as infor_reconciled_amount,
        cast(per_month.freshbooks_paid_amount - per_month.infor_reconciled_amount as decimal(18, 2))
            as payments_difference_amount,
        abs(per_month.freshbooks_invoiced_amount - per_month.infor_invoiced_amount)
            > {{ var('drift_tolerance') }} as is_invoiced_drift,
        abs(per_month.freshbooks_paid_amount - per_month.infor_reconciled_amount)
            > {{ var('drift_tolerance') }} as is_payments_drift

    from per_month
    inner join matched_customers on per_month.customer_key = matched_customers.customer_key

)

select * from final
