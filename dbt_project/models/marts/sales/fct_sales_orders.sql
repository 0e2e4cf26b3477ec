-- One row per Infor customer order with its totals, status and the FreshBooks invoice it came from.

with

orders as (

    select * from {{ ref('stg_infor__customer_orders') }}

),

lines as (

    select
        order_number,
        count(*) as line_count,
        cast(sum(net_line_amount) as decimal(18, 2)) as net_amount,
        cast(sum(ordered_quantity) as decimal(18, 4)) as ordered_quantity,
        cast(sum(delivered_quantity) as decimal(18, 4)) as delivered_quantity,
        cast(sum(invoiced_quantity) as decimal(18, 4)) as invoiced_quantity,
        min(currency_code) as currency_code

    from {{ ref('stg_infor__customer_order_lines') }}
    group by order_number

),

invoices as (

    select invoice_number, invoice_key from {{ ref('stg_freshbooks__invoices') }}

),

final as (

    select
        orders.customer_order_key,
        orders.company,
        orders.order_number,
        orders.customer_number,
        orders.customer_po_number,
        invoices.invoice_key as freshbooks_invoice_key,
        orders.order_type,
        orders.highest_line_status as status_code,
        lines.line_count,
        lines.net_amount,
        lines.currency_code,
        lines.ordered_quantity,
        lines.delivered_quantity,
        lines.invoiced_quantity,
        orders.ordered_on,
        orders.requested_delivery_on,
        orders.highest_line_status >= '66' as is_delivered,
        orders.highest_line_status >= '77' as is_invoiced

    from orders
    left join lines on orders.order_number = lines.order_number
    left join invoices on orders.customer_po_number = invoices.invoice_number

)

select * from final
