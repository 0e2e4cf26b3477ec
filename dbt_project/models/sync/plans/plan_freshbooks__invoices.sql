-- FreshBooks invoices the shop orders call for, one row per order (or one per failed check):
-- a create for every order that becomes an invoice (paid or awaiting payment, not cancelled)
-- and has none yet (invoice number 'SHOP-' + the order number), a void for a cancelled order
-- whose invoice exists. The invoice goes to the client with the buyer's e-mail, or waits for
-- that client's create (`depends_on`). Lines: the products (named as the FreshBooks item of the
-- same SKU, so the Infor order finds the item), each line discount as a negative line with
-- the same taxes, and shipping.

{{ config(enabled=system_enabled('shop')) }}

{%- set prefix = sync_setting('shop_invoice_prefix') %}

with

orders as (

    select
        orders.*,
        {{ sync_shop_order_email('orders') }} as buyer_email,
        {{ dbt.concat([dbt.string_literal(prefix), 'cast(orders.order_number as ' ~ dbt.type_string() ~ ')']) }}
            as invoice_number,
        {{ sync_shop_order_is_invoiceable('orders') }} as is_invoiceable

    from {{ ref('stg_shop__orders') }} as orders

),

freshbooks_invoices as (

    select invoice_number, invoice_id, is_deleted from {{ ref('stg_freshbooks__invoices') }}

),

freshbooks_clients as (

    select
        email_normalized,
        count(*) as client_count,
        min(client_id) as client_id

    from {{ ref('int_freshbooks__clients_typed') }}
    where not is_deleted
        and email_normalized is not null
    group by email_normalized

),

freshbooks_items as (

    select sku, min(item_name) as item_name
    from {{ ref('stg_freshbooks__items') }}
    where not is_deleted
        and sku is not null
    group by sku

),

freshbooks_taxes as (

    select tax_percent, min(tax_name) as tax_name
    from {{ ref('stg_freshbooks__taxes') }}
    group by tax_percent

),

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}
    where coalesce(current_quantity, quantity) > 0

),

line_taxes as (

    select
        tax_lines.order_line_dlt_id,
        max(case when tax_lines.tax_line_index = 0 then tax_lines.tax_title end) as shop_tax_title_1,
        max(case when tax_lines.tax_line_index = 0 then tax_lines.tax_rate * 100 end) as tax_percent_1,
        max(case when tax_lines.tax_line_index = 0 then freshbooks_taxes.tax_name end) as tax_name_1,
        max(case when tax_lines.tax_line_index = 1 then tax_lines.tax_title end) as shop_tax_title_2,
        max(case when tax_lines.tax_line_index = 1 then tax_lines.tax_rate * 100 end) as tax_percent_2,
        max(case when tax_lines.tax_line_index = 1 then freshbooks_taxes.tax_name end) as tax_name_2

    from {{ ref('stg_shop__order_line_tax_lines') }} as tax_lines
    left join freshbooks_taxes on tax_lines.tax_rate * 100 = freshbooks_taxes.tax_percent
    where tax_lines.tax_rate > 0
    group by tax_lines.order_line_dlt_id

),

line_discounts as (

    select
        order_line_dlt_id,
        sum(discount_amount) as discount_amount

    from {{ ref('stg_shop__order_line_discount_allocations') }}
    group by order_line_dlt_id

),

invoice_lines as (

    -- products, each followed by its discount; taxes as FreshBooks names and percentages
    select
        order_lines.order_dlt_id,
        order_lines.line_index * 2 as line_position,
        coalesce(freshbooks_items.item_name, order_lines.product_title, order_lines.line_name) as line_name,
        order_lines.sku as line_description,
        coalesce(order_lines.current_quantity, order_lines.quantity) as quantity,
        order_lines.unit_price as unit_cost,
        order_lines.currency_code,
        line_taxes.tax_name_1,
        line_taxes.tax_percent_1,
        line_taxes.tax_name_2,
        line_taxes.tax_percent_2,
        line_taxes.shop_tax_title_1,
        line_taxes.shop_tax_title_2

    from order_lines
    left join freshbooks_items on order_lines.sku = freshbooks_items.sku
    left join line_taxes on order_lines.dlt_id = line_taxes.order_line_dlt_id

    union all

    select
        order_lines.order_dlt_id,
        order_lines.line_index * 2 + 1,
        {{ sync_literal('shop_discount_line_name') }},
        order_lines.line_name,
        1,
        -line_discounts.discount_amount,
        order_lines.currency_code,
        line_taxes.tax_name_1,
        line_taxes.tax_percent_1,
        line_taxes.tax_name_2,
        line_taxes.tax_percent_2,
        line_taxes.shop_tax_title_1,
        line_taxes.shop_tax_title_2

    from order_lines
    inner join line_discounts on order_lines.dlt_id = line_discounts.order_line_dlt_id
    left join line_taxes on order_lines.dlt_id = line_taxes.order_line_dlt_id
    where line_discounts.discount_amount > 0

    union all

    select
        orders.dlt_id,
        1000000,
        {{ sync_literal('shop_shipping_line_name') }},
        cast(null as {{ dbt.type_string() }}),
        1,
        orders.shipping_amount,
        orders.currency_code,
        cast(null as {{ dbt.type_string() }}),
        cast(null as decimal(18, 6)),
        cast(null as {{ dbt.type_string() }}),
        cast(null as decimal(18, 6)),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }})

    from orders
    where orders.shipping_amount > 0

),

line_payloads as (

    select
        invoice_lines.*,
        {{ sync_json_object([
            ('type', '0'),
            ('name', 'line_name'),
            ('description', "coalesce(line_description, '')"),
            ('qty', 'cast(quantity as ' ~ dbt.type_string() ~ ')'),
            ('unit_cost', sync_json_object([
                ('amount', m3_number('unit_cost', 2)),
                ('code', 'currency_code'),
            ])),
            ('taxName1', "coalesce(tax_name_1, '')"),
            ('taxAmount1', "coalesce(" ~ sync_decimal_text('tax_percent_1') ~ ", '0')"),
            ('taxName2', "coalesce(tax_name_2, '')"),
            ('taxAmount2', "coalesce(" ~ sync_decimal_text('tax_percent_2') ~ ", '0')"),
        ]) }} as line_payload

    from invoice_lines

),

lines_per_order as (

    select
        order_dlt_id,
        count(*) as line_count,
        {{ sync_json_as_text(sync_json_array_agg('line_payload', 'line_position')) }} as invoice_lines

    from line_payloads
    group by order_dlt_id

),

line_tax_names as (

    select order_dlt_id, shop_tax_title_1 as shop_tax_title, tax_percent_1 as tax_percent, tax_name_1 as tax_name
    from invoice_lines

    union all

    select order_dlt_id, shop_tax_title_2, tax_percent_2, tax_name_2
    from invoice_lines

),

unmapped_taxes as (

    select distinct
        order_dlt_id,
        shop_tax_title,
        tax_percent

    from line_tax_names
    where tax_percent is not null
        and tax_name is null

),

new_invoices as (

    select
        orders.*,
        'create' as operation,
        freshbooks_clients.client_id as customerid,
        coalesce(freshbooks_clients.client_count, 0) as matching_client_count,
        lines_per_order.invoice_lines,
        coalesce(lines_per_order.line_count, 0) as line_count

    from orders
    left join freshbooks_invoices on orders.invoice_number = freshbooks_invoices.invoice_number
    left join freshbooks_clients on orders.buyer_email = freshbooks_clients.email_normalized
    left join lines_per_order on orders.dlt_id = lines_per_order.order_dlt_id
    where orders.is_invoiceable
        and freshbooks_invoices.invoice_number is null

),

voided_invoices as (

    select
        orders.*,
        'void' as operation,
        cast(null as {{ dbt.type_bigint() }}) as customerid,
        1 as matching_client_count,
        cast(null as {{ dbt.type_string() }}) as invoice_lines,
        0 as line_count

    from orders
    inner join freshbooks_invoices on orders.invoice_number = freshbooks_invoices.invoice_number
    where coalesce(orders.is_cancelled, false)
        and not freshbooks_invoices.is_deleted

),

candidates as (

    select
        cast(new_invoices.order_id as {{ dbt.type_string() }}) as candidate_key,
        'freshbooks' as target,
        'invoices' as entity,
        new_invoices.invoice_number as natural_key,
        'create' as operation,
        case when new_invoices.customerid is null then new_invoices.buyer_email end as depends_on,

        -- FreshBooks invoice fields
        new_invoices.customerid,
        cast(cast(new_invoices.created_at as date) as {{ dbt.type_string() }}) as create_date,
        new_invoices.invoice_number,
        new_invoices.currency_code,
        {{ dbt.concat(["'Shop order '", 'new_invoices.order_name']) }} as notes,
        new_invoices.invoice_lines as lines,
        cast(null as {{ dbt.type_int() }}) as vis_state,

        -- source ids and what the checks read
        'shop' as source_system,
        new_invoices.order_name as source_key,
        cast(new_invoices.order_id as {{ dbt.type_string() }}) as source_id,
        new_invoices.order_id,
        new_invoices.order_name,
        new_invoices.dlt_id as order_dlt_id,
        new_invoices.buyer_email,
        new_invoices.matching_client_count,
        new_invoices.line_count,
        cast(null as {{ dbt.type_string() }}) as before_values

    from new_invoices

    union all

    select
        cast(voided_invoices.order_id as {{ dbt.type_string() }}),
        'freshbooks',
        'invoices',
        voided_invoices.invoice_number,
        'void',
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_bigint() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        -- FreshBooks soft-deletes with vis_state 1 (a PUT with vis_state ignores other fields)
        1,
        'shop',
        voided_invoices.order_name,
        cast(voided_invoices.order_id as {{ dbt.type_string() }}),
        voided_invoices.order_id,
        voided_invoices.order_name,
        voided_invoices.dlt_id,
        voided_invoices.buyer_email,
        voided_invoices.matching_client_count,
        voided_invoices.line_count,
        {{ sync_before_values([('vis_state', '0')]) }}

    from voided_invoices

),

failed_checks as (

    {{ sync_failed_checks('candidates', 'candidate_key', [
        ('missing_email', "operation = 'create' and buyer_email is null",
            "'shop order has no buyer e-mail: no FreshBooks client to invoice'"),
        ('ambiguous_client_match', "operation = 'create' and matching_client_count > 1",
            "'buyer e-mail matches several FreshBooks clients: needs review'"),
        ('no_lines', "operation = 'create' and line_count = 0",
            "'shop order has no lines to invoice'"),
    ]) }}

    union all

    select
        candidates.candidate_key,
        'unmapped_tax' as reason_code,
        {{ dbt.concat([
            "'shop tax \"'", "coalesce(unmapped_taxes.shop_tax_title, '')", "'\" '",
            sync_decimal_text('unmapped_taxes.tax_percent'),
            "'% has no FreshBooks tax'",
        ]) }} as reason

    from candidates
    inner join unmapped_taxes on candidates.order_dlt_id = unmapped_taxes.order_dlt_id
    where candidates.operation = 'create'

),

final as (

    {{ sync_candidates_with_reasons('candidates', 'failed_checks') }}

)

select * from final
