-- FreshBooks payments with the Infor payment method and cash account they map to: by the
-- gateway when there is one, else by the payment type (a conditional lookup).

with

payments as (

    select * from {{ ref('stg_freshbooks__payments') }}

),

methods as (

    select * from {{ ref('payment_methods') }}

),

mapped as (

    select
        payments.*,
        coalesce(by_gateway.payment_method, by_type.payment_method) as payment_method,
        coalesce(by_gateway.cash_account, by_type.cash_account) as cash_account,
        case
            when by_gateway.payment_method is not null then 'gateway'
            when by_type.payment_method is not null then 'type'
        end as mapped_by

    from payments
    left join methods as by_gateway
        on by_gateway.payment_source = 'gateway'
        and lower(payments.gateway) = by_gateway.source_value
    left join methods as by_type
        on by_type.payment_source = 'type'
        and payments.payment_type = by_type.source_value

)

select * from mapped
