-- Infor customer orders to create (OIS100MI AddBatchHead, one AddBatchLine per element of
-- `lines`, then Confirm): one row per FreshBooks invoice, natural key CUOR (the invoice number).
-- `depends_on` names the customer (CUNO) the order waits for when it is still to be created.

{%- set payload = ['CUNO', 'CUOR', 'ORTP', 'FACI', 'WHLO', 'ORDT', 'RLDT', 'CUCD', 'lines'] %}

with

planned as (

    select * from {{ ref('plan_infor__customer_orders') }}
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

        -- payload (OIS100MI fields; `lines` is a JSON array of {ITNO, ORQT, SAPR})
        {%- for column in payload %}
        {{ column }},
        {%- endfor %}

        -- source ids
        invoice_key,
        account_id,
        invoice_id,
        client_id,
        line_count

    from pending

)

select * from final
