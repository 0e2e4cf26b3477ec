-- FreshBooks clients with the client type their size and industry give them, and the Infor
-- customer group, terms and template that type and their currency map to.

with

clients as (

    select * from {{ ref('stg_freshbooks__clients') }}

),

typed as (

    select
        clients.*,
        {{ client_type('clients.company_size', 'clients.company_industry') }} as client_type,
        {{ full_name('clients.first_name', 'clients.last_name') }} as contact_name,
        {{ normalized_email('clients.email') }} as email_normalized,
        {{ normalized_company_name('clients.organization') }} as name_normalized,
        {{ normalized_postal_code('clients.billing_postal_code') }} as postal_code_normalized,
        nullif(upper(replace(clients.vat_number, ' ', '')), '') as vat_number_normalized

    from clients

),

mapped as (

    select
        typed.*,
        groups.customer_group,
        groups.order_type,
        groups.payment_terms,
        groups.credit_limit,
        currencies.customer_template,
        currencies.country_code as currency_country_code

    from typed
    left join {{ ref('customer_groups') }} as groups
        on typed.client_type = groups.client_type
    left join {{ ref('currencies') }} as currencies
        on typed.currency_code = currencies.currency_code

)

select * from mapped
