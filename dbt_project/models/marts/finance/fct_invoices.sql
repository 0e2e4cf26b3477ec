-- One row per FreshBooks invoice with its payments, the customer, and what Infor made of it.

with

invoices as (

    select * from {{ ref('int_invoices_linked') }}

),

payments as (

    select
        account_id,
        invoice_id,
        sum(amount) as paid_by_payments,
        count(*) as payment_count,
        max(paid_on) as last_paid_on

    from {{ ref('stg_freshbooks__payments') }}
    where not is_deleted
    group by account_id, invoice_id

),

final as (

    select
        invoices.invoice_key,
        invoices.account_id,
        invoices.invoice_id,
        invoices.invoice_number,
        {{ dbt.concat(['invoices.account_id', "'|'", 'invoices.client_id']) }} as customer_key,
        invoices.customer_number as infor_customer_number,
        invoices.currency_code,
        invoices.amount,
        cast(coalesce(payments.paid_by_payments, 0) as decimal(18, 2)) as paid_amount,
        cast(invoices.amount - coalesce(payments.paid_by_payments, 0) as decimal(18, 2)) as outstanding_amount,
        coalesce(payments.payment_count, 0) as payment_count,
        invoices.issued_on,
        invoices.due_on,
        payments.last_paid_on,
        invoices.v3_status as status,
        invoices.payment_status,
        invoices.m3_order_number,
        invoices.m3_order_status,
        invoices.m3_delivery_number,
        invoices.m3_invoice_number,
        invoices.shipped_on,
        invoices.created_at,
        invoices.updated_at,
        invoices.v3_status not in ('draft', 'created') as is_sent,
        invoices.m3_delivery_number is not null as is_shipped,
        invoices.is_paid_in_infor,
        invoices.is_deleted

    from invoices
    left join payments
        on invoices.account_id = payments.account_id
        and invoices.invoice_id = payments.invoice_id

)

select * from final
