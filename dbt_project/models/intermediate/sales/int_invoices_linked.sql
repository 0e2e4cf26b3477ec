-- FreshBooks invoices with what Infor made of them: the customer order whose customer PO
-- (CUOR) is the invoice number, its deliveries (the first one's number and shipment), the
-- Infor invoice and the AR item.

with

invoices as (

    select * from {{ ref('stg_freshbooks__invoices') }}

),

clients as (

    select client_key, customer_number, match_status from {{ ref('int_customers_matched') }}

),

orders as (

    select * from {{ ref('stg_infor__customer_orders') }}

),

delivery_rows as (

    select * from {{ ref('stg_infor__deliveries') }}

),

deliveries as (

    select
        order_number,
        min(delivery_number) as delivery_number,
        min(invoice_number) as m3_invoice_number,
        min(departed_on) as shipped_on

    from delivery_rows
    group by order_number

),

first_delivery_shipments as (

    -- the shipment (CONN) of the delivery `deliveries` names, so the two always belong together
    select
        deliveries.order_number,
        min(delivery_rows.shipment_number) as shipment_number

    from deliveries
    inner join delivery_rows
        on deliveries.order_number = delivery_rows.order_number
        and deliveries.delivery_number = delivery_rows.delivery_number
    group by deliveries.order_number

),

ar_items as (

    select
        invoice_number,
        bool_and(is_paid) as is_paid_in_infor,
        max(reconciled_on) as reconciled_on

    from {{ ref('stg_infor__ar_open_items') }}
    group by invoice_number

),

linked as (

    select
        invoices.*,
        clients.customer_number,
        clients.match_status as customer_match_status,
        orders.order_number as m3_order_number,
        orders.highest_line_status as m3_order_status,
        deliveries.delivery_number as m3_delivery_number,
        first_delivery_shipments.shipment_number as m3_shipment_number,
        deliveries.m3_invoice_number,
        deliveries.shipped_on,
        coalesce(ar_items.is_paid_in_infor, false) as is_paid_in_infor,
        ar_items.reconciled_on

    from invoices
    left join clients
        on {{ dbt.concat(['invoices.account_id', "'|'", 'invoices.client_id']) }} = clients.client_key
    left join orders on invoices.invoice_number = orders.customer_po_number
    left join deliveries on orders.order_number = deliveries.order_number
    left join first_delivery_shipments
        on orders.order_number = first_delivery_shipments.order_number
    left join ar_items on deliveries.m3_invoice_number = ar_items.invoice_number

)

select * from linked
