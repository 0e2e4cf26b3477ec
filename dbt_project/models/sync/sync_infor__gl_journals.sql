-- Infor GL journals to post (GLS840MI AddBatchHead, one AddBatchLineFld per element of
-- `lines`, then CtrlBatch and UpdBatch): one row per FreshBooks expense, natural key KEY1.

{%- set payload = ['CONO', 'DIVI', 'KEY1', 'INTN', adapter.quote('DESC'), 'lines'] %}

with

planned as (

    select * from {{ ref('plan_infor__gl_journals') }}
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

        -- payload (GLS840MI fields; `lines` is a JSON array of AddBatchLineFld fields)
        {%- for column in payload %}
        {{ column }},
        {%- endfor %}

        -- source ids
        expense_key,
        account_id,
        expense_id,
        expense_category,
        currency_code,
        amount

    from pending

)

select * from final
