-- One row per Infor delivery (shipment) with its quantities.

with

deliveries as (

    select * from {{ ref('stg_infor__deliveries') }}

),

lines as (

    select
        delivery_number,
        count(*) as line_count,
        cast(sum(delivered_quantity) as decimal(18, 4)) as shipped_quantity

    from {{ ref('stg_infor__delivery_lines') }}
    group by delivery_number

),

final as (

    select
        deliveries.delivery_key,
        deliveries.company,
        deliveries.delivery_number,
        deliveries.order_number,
        deliveries.shipment_number,
        deliveries.invoice_number,
        deliveries.delivery_method,
        deliveries.delivery_status,
        lines.line_count,
        lines.shipped_quantity,
        deliveries.departed_on as shipped_on,
        deliveries.invoiced_on,
        deliveries.invoice_number is not null as is_invoiced

    from deliveries
    left join lines on deliveries.delivery_number = lines.delivery_number

)

select * from final
