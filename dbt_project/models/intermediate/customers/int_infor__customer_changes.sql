-- FreshBooks clients whose matched Infor customer changed in Infor: one row per client, with
-- the fields to update (null = leave as it is) and what FreshBooks holds now. Infor owns the
-- name, address and phone of a customer that exists there; a value counts as changed when it
-- differs from FreshBooks and is not what ledgerlink itself wrote into Infor (that would echo
-- our own write back). The name goes only to a client with an organization: a person's client
-- keeps its first and last name, which Infor's name was built from.

with

freshbooks_clients as (

    select * from {{ ref('int_freshbooks__clients_typed') }}
    where not is_deleted

),

written_to_infor as (

    -- what ledgerlink itself wrote into each Infor customer (those it created from FreshBooks
    -- clients): M3 holding that value is our own write read back, not an Infor change
    {{ sync_last_written('infor', 'customers', ['CUNM', 'CUA1', 'CUA2', 'TOWN', 'ECAR', 'PONO', 'CSCD', 'PHNO']) }}

),

matched_customers as (

    select
        clients.*,
        written.CUNM as written_name,
        written.CUA1 as written_street,
        written.CUA2 as written_street_2,
        written.TOWN as written_city,
        written.ECAR as written_province,
        written.PONO as written_postal_code,
        written.CSCD as written_country_code,
        written.PHNO as written_phone,
        m3_customers.customer_number,
        m3_customers.customer_name as m3_name,
        m3_customers.address_line_1 as m3_street,
        m3_customers.address_line_2 as m3_street_2,
        m3_customers.city as m3_city,
        m3_customers.state_code as m3_province,
        m3_customers.postal_code as m3_postal_code,
        m3_customers.country_code as m3_country_code,
        m3_customers.phone as m3_phone

    from freshbooks_clients as clients
    inner join {{ ref('int_customers_matched') }} as matches
        on clients.client_key = matches.client_key
        and matches.match_status = 'matched'
    inner join {{ ref('stg_infor__customers') }} as m3_customers
        on matches.customer_number = m3_customers.customer_number
    left join written_to_infor as written
        on m3_customers.customer_number = written.natural_key

),

compared as (

    select
        matched_customers.*,
        nullif(trim(organization), '') is not null
            and {{ sync_differs(normalized_company_name('m3_name'), normalized_company_name('organization')) }}
            and not {{ sync_same(normalized_company_name('m3_name'), normalized_company_name('written_name')) }}
            as is_name_changed,
        (
            {{ sync_differs(sync_comparable_text('m3_street'), sync_comparable_text('billing_street')) }}
            or {{ sync_differs(sync_comparable_text('m3_street_2'), sync_comparable_text('billing_street_2')) }}
            or {{ sync_differs(sync_comparable_text('m3_city'), sync_comparable_text('billing_city')) }}
            or {{ sync_differs(sync_comparable_text('m3_province'), sync_comparable_text('billing_province')) }}
            or {{ sync_differs(normalized_postal_code('m3_postal_code'), normalized_postal_code('billing_postal_code')) }}
            or {{ sync_differs('upper(m3_country_code)', sync_country_code('billing_country')) }}
        )
        and not (
            {{ sync_same(sync_comparable_text('m3_street'), sync_comparable_text('written_street')) }}
            and {{ sync_same_or_missing(sync_comparable_text('m3_street_2'), sync_comparable_text('written_street_2')) }}
            and {{ sync_same_or_missing(sync_comparable_text('m3_city'), sync_comparable_text('written_city')) }}
            and {{ sync_same_or_missing(sync_comparable_text('m3_province'), sync_comparable_text('written_province')) }}
            and {{ sync_same_or_missing(normalized_postal_code('m3_postal_code'), normalized_postal_code('written_postal_code')) }}
            and {{ sync_same_or_missing('upper(m3_country_code)', 'upper(written_country_code)') }}
        ) as is_address_changed,
        {{ sync_differs(sync_comparable_phone('m3_phone'), sync_comparable_phone('business_phone')) }}
            and not {{ sync_same(sync_comparable_phone('m3_phone'), sync_comparable_phone('written_phone')) }}
            as is_phone_changed

    from matched_customers

),

changed_clients as (

    -- the whole address goes when any part of it changed; a null field is not sent
    select
        client_key as candidate_key,
        cast(client_id as {{ dbt.type_string() }}) as natural_key,
        'update' as operation,

        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as fname,
        cast(null as {{ dbt.type_string() }}) as lname,
        case when is_name_changed then m3_name end as organization,
        case when is_phone_changed then m3_phone end as bus_phone,
        case when is_address_changed then m3_street end as p_street,
        case when is_address_changed then m3_street_2 end as p_street2,
        case when is_address_changed then m3_city end as p_city,
        case when is_address_changed then m3_province end as p_province,
        case when is_address_changed then m3_postal_code end as p_code,
        case when is_address_changed then {{ sync_country_name('m3_country_code') }} end as p_country,
        cast(null as {{ dbt.type_string() }}) as currency_code,

        'infor' as source_system,
        customer_number as source_key,
        customer_number as source_id,
        cast(null as {{ dbt.type_string() }}) as shop_customer_id,
        client_key,
        cast(client_id as {{ dbt.type_string() }}) as client_id,
        customer_number,
        1 as matching_client_count,
        {{ sync_before_values([
            ('organization', 'organization'),
            ('bus_phone', 'business_phone'),
            ('p_street', 'billing_street'),
            ('p_street2', 'billing_street_2'),
            ('p_city', 'billing_city'),
            ('p_province', 'billing_province'),
            ('p_code', 'billing_postal_code'),
            ('p_country', 'billing_country'),
        ]) }} as before_values

    from compared
    where is_name_changed or is_address_changed or is_phone_changed

)

select * from changed_clients
