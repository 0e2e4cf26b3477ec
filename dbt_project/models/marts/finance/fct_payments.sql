-- One row per FreshBooks payment with its Infor payment method and where it landed in AR.

with

payments as (

    select * from {{ ref('int_payments_mapped') }}

),

invoices as (

    select account_id, invoice_id, invoice_key, invoice_number, m3_invoice_number, is_paid_in_infor
    from {{ ref('int_invoices_linked') }}

),

final as (

    select
        payments.payment_key,
        payments.account_id,
        payments.payment_id,
        invoices.invoice_key,
        invoices.invoice_number,
        {{ dbt.concat(['payments.account_id', "'|'", 'payments.client_id']) }} as customer_key,
        payments.amount,
        payments.currency_code,
        payments.paid_on,
        payments.payment_type,
        payments.gateway,
        payments.payment_method,
        payments.cash_account,
        invoices.m3_invoice_number,
        coalesce(invoices.is_paid_in_infor, false) as is_reconciled_in_infor,
        payments.updated_at,
        payments.is_deleted

    from payments
    left join invoices
        on payments.account_id = invoices.account_id
        and payments.invoice_id = invoices.invoice_id

)

select * from final
