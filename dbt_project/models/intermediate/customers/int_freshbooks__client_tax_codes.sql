-- The Infor VAT code (VTCD) of each FreshBooks client that has taxed invoice lines: the code
-- the `tax_codes` mapping gives the taxes on most of its lines. Infor prices a customer's
-- orders by the customer's VAT code (an order line takes no tax input), so this code is what
-- makes Infor's invoice total equal FreshBooks'. Tax combinations the mapping lacks are listed.

with

invoices as (

    select account_id, client_id, dlt_id
    from {{ ref('stg_freshbooks__invoices') }}
    where not is_deleted

),

lines as (

    select * from {{ ref('stg_freshbooks__invoice_lines') }}

),

taxed_lines as (

    -- the two taxes in name order, so GST + PST and PST + GST are one combination
    select
        invoices.account_id,
        invoices.client_id,
        case when lower(trim(lines.tax_name_2)) < lower(trim(lines.tax_name_1)) then lower(trim(lines.tax_name_2)) else lower(trim(lines.tax_name_1)) end as tax_name_a,
        case when lower(trim(lines.tax_name_2)) < lower(trim(lines.tax_name_1)) then lines.tax_percent_2 else lines.tax_percent_1 end as tax_percent_a,
        case when lower(trim(lines.tax_name_2)) < lower(trim(lines.tax_name_1)) then lower(trim(lines.tax_name_1)) else lower(trim(lines.tax_name_2)) end as tax_name_b,
        case
            when lower(trim(lines.tax_name_2)) < lower(trim(lines.tax_name_1)) then lines.tax_percent_1
            when lines.tax_name_2 is not null then lines.tax_percent_2
        end as tax_percent_b

    from lines
    inner join invoices on lines.invoice_dlt_id = invoices.dlt_id
    where lines.tax_name_1 is not null

),

tax_codes as (

    select
        case when lower(trim(tax_name_2)) < lower(trim(tax_name_1)) then lower(trim(tax_name_2)) else lower(trim(tax_name_1)) end as tax_name_a,
        case when lower(trim(tax_name_2)) < lower(trim(tax_name_1)) then tax_percent_2 else tax_percent_1 end as tax_percent_a,
        case when lower(trim(tax_name_2)) < lower(trim(tax_name_1)) then lower(trim(tax_name_1)) else lower(nullif(trim(tax_name_2), '')) end as tax_name_b,
        case when lower(trim(tax_name_2)) < lower(trim(tax_name_1)) then tax_percent_1 else tax_percent_2 end as tax_percent_b,
        m3_vat_code

    from {{ ref('tax_codes') }}

),

mapped as (

    select
        taxed_lines.*,
        {{ dbt.concat([
            'taxed_lines.tax_name_a', "' '", sync_decimal_text('taxed_lines.tax_percent_a'),
            "coalesce(" ~ dbt.concat(["' + '", 'taxed_lines.tax_name_b', "' '", sync_decimal_text('taxed_lines.tax_percent_b')]) ~ ", '')",
        ]) }} as combination,
        tax_codes.m3_vat_code

    from taxed_lines
    left join tax_codes
        on taxed_lines.tax_name_a = tax_codes.tax_name_a
        and taxed_lines.tax_percent_a = tax_codes.tax_percent_a
        and (
            (taxed_lines.tax_name_b is null and tax_codes.tax_name_b is null)
            or (
                taxed_lines.tax_name_b = tax_codes.tax_name_b
                and taxed_lines.tax_percent_b = tax_codes.tax_percent_b
            )
        )

),

per_code as (

    select
        account_id,
        client_id,
        m3_vat_code,
        count(*) as line_count,
        row_number() over (
            partition by account_id, client_id
            order by case when m3_vat_code is null then 1 else 0 end, count(*) desc, m3_vat_code
        ) as rank_in_client

    from mapped
    group by account_id, client_id, m3_vat_code

),

unmapped as (

    select
        account_id,
        client_id,
        {{ dbt.listagg('combination', "', '", 'order by combination') }} as unmapped_taxes

    from (
        select distinct account_id, client_id, combination
        from mapped
        where m3_vat_code is null
    ) as combinations
    group by account_id, client_id

),

final as (

    select
        {{ dbt.concat(['per_code.account_id', "'|'", 'per_code.client_id']) }} as client_key,
        per_code.account_id,
        per_code.client_id,
        per_code.m3_vat_code as vat_code,
        unmapped.unmapped_taxes

    from per_code
    left join unmapped
        on per_code.account_id = unmapped.account_id
        and per_code.client_id = unmapped.client_id
    where per_code.rank_in_client = 1

)

select * from final
