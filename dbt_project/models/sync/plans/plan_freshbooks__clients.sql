-- FreshBooks clients to create or update, one row per candidate (or one per failed check):
-- (a) shop buyers (with an order that becomes an invoice) whose e-mail no FreshBooks client
-- has yet -> create, keyed by the normalized e-mail; (b) FreshBooks clients matched to an Infor
-- customer whose name, address or phone (Infor's, once the customer exists there) differ ->
-- update, keyed by the client id. Values compare the way people read them (case, spacing,
-- legal forms, phone punctuation), so spelling conventions alone never make an update.
-- Without a shop only (b) exists.

with

freshbooks_clients as (

    select * from {{ ref('int_freshbooks__clients_typed') }}
    where not is_deleted

),
{%- if system_enabled('shop') %}

orders as (

    select
        orders.*,
        {{ sync_shop_order_email('orders') }} as buyer_email

    from {{ ref('stg_shop__orders') }} as orders
    where {{ sync_shop_order_is_invoiceable('orders') }}

),

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

clients_per_email as (

    select
        email_normalized,
        count(*) as client_count

    from freshbooks_clients
    where email_normalized is not null
    group by email_normalized

),

latest_orders as (

    select
        orders.*,
        row_number() over (
            partition by orders.buyer_email
            order by orders.created_at desc, orders.order_id desc
        ) as recency

    from orders

),

buyers as (

    -- the shop's customer record when there is one, else the latest order's billing details
    select
        latest_orders.buyer_email,
        latest_orders.order_id as latest_order_id,
        latest_orders.order_name as latest_order_name,
        latest_orders.customer_id,
        coalesce(shop_customers.first_name, latest_orders.billing_first_name) as first_name,
        coalesce(shop_customers.last_name, latest_orders.billing_last_name) as last_name,
        coalesce(
            nullif(trim(shop_customers.company), ''),
            nullif(trim(latest_orders.billing_company), '')
        ) as company,
        coalesce(shop_customers.phone, shop_customers.default_address_phone, latest_orders.billing_phone) as phone,
        coalesce(shop_customers.default_address_line_1, latest_orders.billing_address_line_1) as street,
        coalesce(shop_customers.default_address_city, latest_orders.billing_city) as city,
        coalesce(shop_customers.default_address_province_code, latest_orders.billing_province_code) as province,
        coalesce(shop_customers.default_address_postal_code, latest_orders.billing_postal_code) as postal_code,
        coalesce(shop_customers.default_address_country, latest_orders.billing_country) as country,
        latest_orders.currency_code

    from latest_orders
    left join shop_customers on latest_orders.customer_id = shop_customers.customer_id
    where latest_orders.recency = 1

),

new_clients as (

    select
        coalesce(buyers.buyer_email, {{ dbt.concat(["'shop order '", 'buyers.latest_order_name']) }}) as candidate_key,
        buyers.buyer_email as natural_key,
        'create' as operation,

        buyers.buyer_email as email,
        nullif(trim(buyers.first_name), '') as fname,
        nullif(trim(buyers.last_name), '') as lname,
        coalesce(buyers.company, {{ full_name('buyers.first_name', 'buyers.last_name') }}) as organization,
        nullif(trim(buyers.phone), '') as bus_phone,
        nullif(trim(buyers.street), '') as p_street,
        cast(null as {{ dbt.type_string() }}) as p_street2,
        nullif(trim(buyers.city), '') as p_city,
        nullif(trim(buyers.province), '') as p_province,
        nullif(trim(buyers.postal_code), '') as p_code,
        nullif(trim(buyers.country), '') as p_country,
        buyers.currency_code,

        'shop' as source_system,
        coalesce(cast(buyers.customer_id as {{ dbt.type_string() }}), buyers.latest_order_name) as source_key,
        cast(coalesce(buyers.customer_id, buyers.latest_order_id) as {{ dbt.type_string() }}) as source_id,
        cast(buyers.customer_id as {{ dbt.type_string() }}) as shop_customer_id,
        cast(null as {{ dbt.type_string() }}) as client_key,
        cast(null as {{ dbt.type_string() }}) as client_id,
        cast(null as {{ dbt.type_string() }}) as customer_number,
        coalesce(clients_per_email.client_count, 0) as matching_client_count,
        cast(null as {{ dbt.type_string() }}) as before_values

    from buyers
    left join clients_per_email on buyers.buyer_email = clients_per_email.email_normalized
    where coalesce(clients_per_email.client_count, 0) <> 1

),
{%- endif %}

changed_clients as (

    select * from {{ ref('int_infor__customer_changes') }}

),

operations as (

    {%- if system_enabled('shop') %}
    select * from new_clients
    union all
    {%- endif %}
    select * from changed_clients

),

candidates as (

    select
        candidate_key,
        'freshbooks' as target,
        'clients' as entity,
        natural_key,
        operation,
        cast(null as {{ dbt.type_string() }}) as depends_on,
        email,
        fname,
        lname,
        organization,
        bus_phone,
        p_street,
        p_street2,
        p_city,
        p_province,
        p_code,
        p_country,
        currency_code,
        source_system,
        source_key,
        source_id,
        shop_customer_id,
        client_key,
        client_id,
        customer_number,
        matching_client_count,
        before_values

    from operations

),

failed_checks as (

    {{ sync_failed_checks('candidates', 'candidate_key', [
        ('missing_email', "operation = 'create' and email is null",
            "'shop buyer has no e-mail: a FreshBooks client cannot be matched or created'"),
        ('ambiguous_client_match', "operation = 'create' and matching_client_count > 1",
            "'shop buyer e-mail matches several FreshBooks clients: needs review'"),
        ('missing_name', "operation = 'create' and organization is null",
            "'missing client name (organization, first or last name)'"),
    ]) }}

),

final as (

    {{ sync_candidates_with_reasons('candidates', 'failed_checks') }}

)

select * from final
