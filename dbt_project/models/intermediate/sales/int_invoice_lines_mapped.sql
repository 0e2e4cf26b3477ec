-- FreshBooks invoice lines with the Infor item each sells: the SKU of the FreshBooks item of
-- that name, unless the item crosswalk says otherwise; flagged when Infor does not know it.

with

lines as (

    select * from {{ ref('stg_freshbooks__invoice_lines') }}

),

invoices as (

    select invoice_key, account_id, invoice_id, dlt_id from {{ ref('stg_freshbooks__invoices') }}

),

items as (

    select account_id, item_name, min(sku) as sku
    from {{ ref('stg_freshbooks__items') }}
    where not is_deleted
    group by account_id, item_name

),

crosswalk as (

    select * from {{ ref('item_crosswalk') }}

),

m3_items as (

    select item_number, is_blocked from {{ ref('stg_infor__items') }}

),

mapped as (

    select
        lines.*,
        invoices.invoice_key,
        invoices.account_id,
        items.sku,
        coalesce(crosswalk.m3_item_number, items.sku) as m3_item_number,
        m3_items.item_number is not null and not m3_items.is_blocked as is_known_in_infor

    from lines
    inner join invoices on lines.invoice_dlt_id = invoices.dlt_id
    left join items
        on invoices.account_id = items.account_id
        and lines.item_name = items.item_name
    left join crosswalk on items.sku = crosswalk.freshbooks_sku
    left join m3_items on coalesce(crosswalk.m3_item_number, items.sku) = m3_items.item_number

)

select * from mapped
