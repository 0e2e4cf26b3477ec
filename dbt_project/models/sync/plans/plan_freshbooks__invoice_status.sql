-- FreshBooks invoices whose Infor order shipped (or was invoiced), one row per invoice (PUT
-- invoices/invoices/{id}), natural key invoice_number. FreshBooks has no "shipped" state, so
-- the shipment reaches the invoice as a reference in `po_number`, whatever the invoice's state:
-- 'M3 delivery <DLIX> shipment <CONN> invoice <IVNO>' (the parts Infor has so far). A draft is
-- also marked sent (`action_mark_as_sent`); a sent, viewed, partly paid or paid invoice gets the
-- reference only, its lines, amounts and status untouched. What a person wrote in `po_number`
-- (the customer's PO) is kept in front of the reference. An invoice is planned while FreshBooks'
-- `po_number` differs from that value, compared as FreshBooks returns it (trimmed), so once the
-- reference is there the plan is empty. Nothing is checked: every shipped invoice takes it.

{#- Where ledgerlink's reference starts in a po_number (with the ' / ' before it, if any). -#}
{%- set reference_pattern = "\\s*/?\\s*M3 (delivery|order) .*$" %}

with

invoices as (

    select * from {{ ref('int_invoices_linked') }}

),

shipped as (

    select *
    from invoices
    where not is_deleted
        and m3_order_number is not null
        and (
            m3_invoice_number is not null
            or shipped_on is not null
            or m3_order_status >= '66'
        )

),

reference_parts as (

    -- the parts Infor has so far; an order Infor shows delivered without a delivery record is
    -- named by its number
    select
        shipped.*,
        coalesce(v3_status = 'draft', false) as is_draft,
        case
            when m3_delivery_number is not null
                then {{ dbt.concat(["'M3 delivery '", 'm3_delivery_number']) }}
            else {{ dbt.concat(["'M3 order '", 'm3_order_number']) }}
        end as shipped_part,
        case
            when m3_delivery_number is not null and m3_shipment_number is not null
                then {{ dbt.concat(["' shipment '", 'm3_shipment_number']) }}
            else ''
        end as shipment_part,
        case
            when m3_invoice_number is not null
                then {{ dbt.concat(["' invoice '", 'm3_invoice_number']) }}
            else ''
        end as invoice_part

    from shipped

),

persons_text as (

    select
        reference_parts.*,
        {{ dbt.concat(['shipped_part', 'shipment_part', 'invoice_part']) }} as infor_reference,
        -- what a person wrote in po_number: the text before ledgerlink's reference. A bare
        -- delivery or order number is the reference as ledgerlink first wrote it: replaced.
        case
            when trim(po_number) in (m3_delivery_number, m3_order_number) then null
            else nullif(trim(regexp_replace(coalesce(po_number, ''), '{{ reference_pattern }}', '')), '')
        end as persons_po_number

    from reference_parts

),

referenced as (

    select
        persons_text.*,
        case
            when persons_po_number is null then infor_reference
            else {{ dbt.concat(['persons_po_number', "' / '", 'infor_reference']) }}
        end as referenced_po_number

    from persons_text

),

changed as (

    select * from referenced
    where is_draft
        or not {{ sync_same('trim(po_number)', 'referenced_po_number') }}

),

final as (

    select
        invoice_key as candidate_key,
        'freshbooks' as target,
        'invoice_status' as entity,
        invoice_number as natural_key,
        'update' as operation,
        cast(null as {{ dbt.type_string() }}) as depends_on,

        -- FreshBooks invoice fields (null: left as it is)
        invoice_id as invoiceid,
        case when is_draft then true end as action_mark_as_sent,
        referenced_po_number as po_number,

        -- source ids
        invoice_key,
        account_id,
        invoice_number,
        v3_status,
        m3_order_number,
        m3_delivery_number,
        m3_shipment_number,
        m3_invoice_number,
        shipped_on,
        {{ sync_before_values([
            ('action_mark_as_sent', 'not is_draft'), ('po_number', "nullif(trim(po_number), '')"),
        ]) }} as before_values,

        -- no check fails
        'freshbooks' as source_system,
        invoice_key as source_key,
        cast(invoice_id as {{ dbt.type_string() }}) as source_id,
        cast(null as {{ dbt.type_string() }}) as reason_code,
        cast(null as {{ dbt.type_string() }}) as reason

    from changed

)

select * from final
