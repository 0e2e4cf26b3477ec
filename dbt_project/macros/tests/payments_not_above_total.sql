{#- Fails on each invoice whose payments add up to more than its total plus `tolerance`.
    Severity: error (integrity: an overpayment would post a cash receipt larger than the AR it clears). -#}
{% test payments_not_above_total(model, payments_model, key, total_column, payment_amount_column, payment_key, tolerance=0, payments_condition='1=1') %}
{{ config(severity='error') }}

with invoices as (

    select
        {{ key }} as invoice_key,
        {{ total_column }} as invoice_total
    from {{ model }}
    where {{ key }} is not null

),

payments_per_invoice as (

    select
        {{ payment_key }} as invoice_key,
        sum({{ payment_amount_column }}) as paid_total,
        count(*) as payment_count
    from {{ payments_model }}
    where {{ payment_key }} is not null
        and ({{ payments_condition }})
    group by {{ payment_key }}

),

overpaid as (

    select
        invoices.invoice_key,
        invoices.invoice_total,
        payments_per_invoice.paid_total,
        payments_per_invoice.payment_count,
        payments_per_invoice.paid_total - coalesce(invoices.invoice_total, 0) as overpaid_by
    from invoices
    inner join payments_per_invoice
        on invoices.invoice_key = payments_per_invoice.invoice_key
    where payments_per_invoice.paid_total > coalesce(invoices.invoice_total, 0) + {{ tolerance }}

)

select * from overpaid

{% endtest %}
