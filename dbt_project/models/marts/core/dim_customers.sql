-- One row per customer across the systems: every FreshBooks client (with the Infor customer it
-- matched, if any) and every Infor customer no client matched.

with

clients as (

    select * from {{ ref('int_freshbooks__clients_typed') }}

),

matches as (

    select * from {{ ref('int_customers_matched') }}

),

m3_customers as (

    select * from {{ ref('stg_infor__customers') }}

),

from_freshbooks as (

    select
        clients.client_key as customer_key,
        clients.account_id as freshbooks_account_id,
        clients.client_id as freshbooks_client_id,
        matches.customer_number as infor_customer_number,
        coalesce(nullif(clients.organization, ''), clients.contact_name) as customer_name,
        clients.contact_name,
        clients.email,
        clients.client_type,
        coalesce(m3_customers.customer_group, clients.customer_group) as customer_group,
        clients.currency_code,
        clients.billing_country as country,
        coalesce(matches.match_status, 'deleted') as match_status,
        clients.is_deleted,
        'freshbooks' as first_seen_in

    from clients
    left join matches on clients.client_key = matches.client_key
    left join m3_customers on matches.customer_number = m3_customers.customer_number

),

infor_only as (

    select
        m3_customers.customer_key,
        cast(null as {{ dbt.type_string() }}) as freshbooks_account_id,
        cast(null as bigint) as freshbooks_client_id,
        m3_customers.customer_number as infor_customer_number,
        m3_customers.customer_name,
        m3_customers.contact_reference as contact_name,
        m3_customers.email,
        cast(null as {{ dbt.type_string() }}) as client_type,
        m3_customers.customer_group,
        m3_customers.currency_code,
        m3_customers.country_code as country,
        'infor_only' as match_status,
        m3_customers.is_blocked as is_deleted,
        'infor' as first_seen_in

    from m3_customers
    where m3_customers.customer_number not in (
        select customer_number from matches where customer_number is not null
    )

),

final as (

    select * from from_freshbooks
    union all
    select * from infor_only

)

select * from final
