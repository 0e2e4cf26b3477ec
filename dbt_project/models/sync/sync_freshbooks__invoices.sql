-- FreshBooks invoices to create (POST invoices/invoices, left a draft until Infor ships the
-- order: sync_freshbooks__invoice_status) or void (PUT {"vis_state": 1}): one row per shop
-- order, natural key invoice_number ('SHOP-' + order number). `customerid` is null when the
-- client is still to be created: `depends_on` names it (its normalized e-mail).

{{ config(enabled=system_enabled('shop')) }}

{%- set payload = ['customerid', 'create_date', 'invoice_number', 'currency_code', 'notes', 'lines', 'vis_state'] %}

with

planned as (

    select * from {{ ref('plan_freshbooks__invoices') }}
    where reason_code is null

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

        -- payload (FreshBooks invoice fields; `lines` is a JSON array of invoice lines)
        {%- for column in payload %}
        {{ column }},
        {%- endfor %}

        -- source ids
        order_id,
        order_name,
        buyer_email,
        line_count,

        -- what FreshBooks holds now (for the dry run's before -> after)
        before_values

    from pending

)

select * from final
