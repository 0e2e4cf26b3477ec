-- FreshBooks invoices to mark sent because Infor shipped (or invoiced) their order (PUT
-- invoices/invoices/{id} with action_mark_as_sent): one row per invoice still a draft in
-- FreshBooks, natural key invoice_number. FreshBooks has no "shipped" state: sending the
-- invoice is the state change, and the Infor delivery number goes into `po_number` (kept when
-- the invoice already carries the customer's PO). Paid state is FreshBooks' own, from payments.

{%- set payload = ['invoiceid', 'action_mark_as_sent', 'po_number'] %}

with

invoices as (

    select * from {{ ref('int_invoices_linked') }}

),

shipped_drafts as (

    select *
    from invoices
    where not is_deleted
        and v3_status = 'draft'
        and m3_order_number is not null
        and (
            m3_invoice_number is not null
            or shipped_on is not null
            or m3_order_status >= '66'
        )

),

planned as (

    select
        'freshbooks' as target,
        'invoice_status' as entity,
        invoice_number as natural_key,
        'update' as operation,
        cast(null as {{ dbt.type_string() }}) as depends_on,

        -- FreshBooks invoice fields
        invoice_id as invoiceid,
        true as action_mark_as_sent,
        coalesce(nullif(trim(po_number), ''), m3_delivery_number, m3_order_number) as po_number,

        -- source ids
        invoice_key,
        account_id,
        invoice_number,
        m3_order_number,
        m3_delivery_number,
        m3_invoice_number,
        shipped_on,
        {{ sync_before_values([
            ('action_mark_as_sent', 'false'), ('po_number', "nullif(trim(po_number), '')"),
        ]) }} as before_values

    from shipped_drafts

),

hashed as (

    select
        planned.*,
        {{ sync_content_hash(payload) }} as content_hash

    from planned

),

pending as (

    select * from hashed
    where not {{ sync_is_applied('hashed') }}

),

final as (

    select
        {{ sync_key('target', 'entity', 'natural_key', 'content_hash') }} as sync_key,
        target,
        entity,
        natural_key,
        operation,
        depends_on,
        content_hash,

        -- payload (FreshBooks invoice fields)
        {%- for column in payload %}
        {{ column }},
        {%- endfor %}

        -- source ids
        invoice_key,
        account_id,
        invoice_number,
        m3_order_number,
        m3_delivery_number,
        m3_invoice_number,
        shipped_on,

        -- what FreshBooks holds now (for the dry run's before -> after)
        before_values

    from pending

)

select * from final
