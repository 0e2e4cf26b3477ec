-- One row per FreshBooks invoice line with the Infor item it sells.

with

lines as (

    select * from {{ ref('int_invoice_lines_mapped') }}

),

final as (

    select
        invoice_line_key,
        invoice_key,
        account_id,
        invoice_id,
        line_id,
        item_name,
        sku,
        m3_item_number,
        quantity,
        unit_cost,
        amount,
        currency_code,
        tax_name_1,
        tax_percent_1,
        is_known_in_infor

    from lines

)

select * from final
