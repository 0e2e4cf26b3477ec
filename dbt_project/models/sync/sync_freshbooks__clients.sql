-- FreshBooks clients to create (POST users/clients) or update (PUT users/clients/{id}): one row
-- per client; natural key = the normalized e-mail for a create, the client id for an update.
-- A null payload field is not sent (PUT updates only the keys given).

{%- set payload = [
    'email', 'fname', 'lname', 'organization', 'bus_phone',
    'p_street', 'p_street2', 'p_city', 'p_province', 'p_code', 'p_country', 'currency_code',
] %}

with

planned as (

    select * from {{ ref('plan_freshbooks__clients') }}
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

        -- payload (FreshBooks client fields)
        {%- for column in payload %}
        {{ column }},
        {%- endfor %}

        -- source ids
        source_system,
        shop_customer_id,
        client_id,
        customer_number,

        -- what FreshBooks holds now (for the dry run's before -> after)
        before_values

    from pending

)

select * from final
