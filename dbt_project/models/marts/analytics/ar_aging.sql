-- One row per customer and currency: open FreshBooks receivables by days past due at the as-of
-- date, beside what Infor M3 AR still holds open for the same (matched) customer.

with

invoices as (

    select * from {{ ref('fct_invoices') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

m3_ar_items as (

    select * from {{ ref('stg_infor__ar_open_items') }}

),

m3_invoices as (

    select * from {{ ref('stg_infor__customer_invoices') }}

),

open_invoices as (

    -- a draft is not a receivable yet, and an invoice issued after the as-of date did not exist then
    select
        customer_key,
        currency_code,
        outstanding_amount,
        due_on,
        {{ dbt.datediff('coalesce(due_on, issued_on)', as_of_date(), 'day') }} as days_past_due

    from invoices
    where outstanding_amount > 0
        and not is_deleted
        and is_sent
        and issued_on <= {{ as_of_date() }}

),

aged as (

    select
        customer_key,
        currency_code,
        count(*) as open_invoice_count,
        sum(case when days_past_due <= 0 then outstanding_amount else 0 end) as current_amount,
        sum(case when days_past_due between 1 and 30 then outstanding_amount else 0 end) as days_1_30_amount,
        sum(case when days_past_due between 31 and 60 then outstanding_amount else 0 end) as days_31_60_amount,
        sum(case when days_past_due between 61 and 90 then outstanding_amount else 0 end) as days_61_90_amount,
        sum(case when days_past_due > 90 then outstanding_amount else 0 end) as days_over_90_amount,
        sum(outstanding_amount) as total_outstanding_amount,
        min(due_on) as oldest_due_on,
        max(days_past_due) as max_days_past_due

    from open_invoices
    group by customer_key, currency_code

),

matched_customers as (

    select customer_key, customer_name, infor_customer_number
    from customers
    where match_status = 'matched'

),

m3_ar_per_invoice as (

    -- ARS200MI lists AR items without amounts, and an invoice may have several items
    -- (the invoice, part payments): an invoice is open until all its items are reconciled
    select
        company,
        customer_number,
        invoice_number,
        coalesce(invoice_year, accounting_year) as invoice_year,
        min(case when is_paid then 1 else 0 end) = 0 as is_open

    from m3_ar_items
    group by company, customer_number, invoice_number, coalesce(invoice_year, accounting_year)

),

m3_open_ar as (

    select
        m3_ar_per_invoice.customer_number,
        m3_invoices.currency_code,
        count(*) as infor_open_invoice_count,
        sum(coalesce(m3_invoices.remaining_amount, m3_invoices.gross_amount)) as infor_open_amount

    from m3_ar_per_invoice
    inner join m3_invoices
        on m3_ar_per_invoice.company = m3_invoices.company
        and m3_ar_per_invoice.invoice_number = m3_invoices.invoice_number
        and m3_ar_per_invoice.invoice_year = m3_invoices.invoice_year
    where m3_ar_per_invoice.is_open
    group by m3_ar_per_invoice.customer_number, m3_invoices.currency_code

),

customer_currencies as (

    -- a matched customer whose FreshBooks invoices are all paid but who is still open in
    -- Infor gets a row too: that disagreement is the one to see
    select customer_key, currency_code from aged

    union

    select matched_customers.customer_key, m3_open_ar.currency_code
    from m3_open_ar
    inner join matched_customers on m3_open_ar.customer_number = matched_customers.infor_customer_number

),

compared as (

    select
        customer_currencies.customer_key,
        customers.customer_name,
        matched_customers.infor_customer_number,
        customer_currencies.currency_code,
        coalesce(aged.open_invoice_count, 0) as open_invoice_count,
        coalesce(aged.current_amount, 0) as current_amount,
        coalesce(aged.days_1_30_amount, 0) as days_1_30_amount,
        coalesce(aged.days_31_60_amount, 0) as days_31_60_amount,
        coalesce(aged.days_61_90_amount, 0) as days_61_90_amount,
        coalesce(aged.days_over_90_amount, 0) as days_over_90_amount,
        coalesce(aged.total_outstanding_amount, 0) as total_outstanding_amount,
        aged.oldest_due_on,
        aged.max_days_past_due,
        case when matched_customers.customer_key is not null then coalesce(m3_open_ar.infor_open_invoice_count, 0) end
            as infor_open_invoice_count,
        case when matched_customers.customer_key is not null then coalesce(m3_open_ar.infor_open_amount, 0) end
            as infor_open_amount

    from customer_currencies
    left join aged
        on customer_currencies.customer_key = aged.customer_key
        and customer_currencies.currency_code = aged.currency_code
    left join customers on customer_currencies.customer_key = customers.customer_key
    left join matched_customers on customer_currencies.customer_key = matched_customers.customer_key
    left join m3_open_ar
        on matched_customers.infor_customer_number = m3_open_ar.customer_number
        and customer_currencies.currency_code = m3_open_ar.currency_code

),

final as (

    select
        {{ as_of_date() }} as as_of_date,
        customer_key,
        customer_name,
        infor_customer_number,
        currency_code,
        open_invoice_count,
        cast(current_amount as decimal(18, 2)) as current_amount,
        cast(days_1_30_amount as decimal(18, 2)) as days_1_30_amount,
        cast(days_31_60_amount as decimal(18, 2)) as days_31_60_amount,
        cast(days_61_90_amount as decimal(18, 2)) as days_61_90_amount,
        cast(days_over_90_amount as decimal(18, 2)) as days_over_90_amount,
        cast(total_outstanding_amount as decimal(18, 2)) as total_outstanding_amount,
        oldest_due_on,
        cast(max_days_past_due as integer) as max_days_past_due,
        infor_open_invoice_count,
        cast(infor_open_amount as decimal(18, 2)) as infor_open_amount,
        cast(total_outstanding_amount - infor_open_amount as decimal(18, 2)) as infor_difference_amount,
        case
            when infor_open_amount is not null
                then abs(total_outstanding_amount - infor_open_amount) <= {{ var('drift_tolerance') }}
        end as is_infor_in_agreement

    from compared

)

select * from final
