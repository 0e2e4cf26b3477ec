-- Infor customers to create (CRS610MI Add, then ChgFinancial and ChgOrderInfo) or update
-- (ChgBasicData / ChgFinancial): one row per customer, natural key CUNO. A null payload field
-- is not sent (an update carries only the fields FreshBooks owns).

{%- set payload = [
    'CUNO', 'CUNM', 'CUA1', 'CUA2', 'TOWN', 'ECAR', 'PONO', 'CSCD', 'PHNO', 'MAIL', 'YREF', 'ALCU',
    'CUTM', 'CUCL', 'ORTP', 'TEPY', 'CUCD', 'VRNO', 'CRLM', 'VTCD',
] %}

with

planned as (

    select * from {{ ref('plan_infor__customers') }}
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

        -- payload (CRS610MI fields)
        {%- for column in payload %}
        {{ column }},
        {%- endfor %}

        -- source ids
        client_key,
        account_id,
        client_id,
        match_status,

        -- what Infor holds now (for the dry run's before -> after)
        before_values

    from pending

)

select * from final
