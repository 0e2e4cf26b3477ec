-- One row per FreshBooks client with the Infor customer it is, if one can be named for sure.
-- The crosswalk that pushes record wins; then deterministic rules, strongest first: e-mail,
-- VAT number, normalized name with postal code. A client whose best rule names several
-- customers, or a customer that several clients claim (a duplicate client), is flagged for
-- review and left unmatched: never guessed, never duplicated.

with

clients as (

    select * from {{ ref('int_freshbooks__clients_typed') }}
    where not is_deleted

),

m3_customers as (

    select
        *,
        {{ normalized_email('email') }} as email_normalized,
        {{ normalized_company_name('customer_name') }} as name_normalized,
        {{ normalized_postal_code('postal_code') }} as postal_code_normalized,
        nullif(upper(replace(vat_number, ' ', '')), '') as vat_number_normalized

    from {{ ref('stg_infor__customers') }}

),

crosswalk as (

    select * from {{ ref('stg_ops__id_crosswalk') }}
    where entity = 'customer'

),

candidates as (

    select clients.client_key, crosswalk.infor_key as customer_number, 1 as rule_rank, 'crosswalk' as match_rule
    from clients
    inner join crosswalk
        on clients.account_id = crosswalk.freshbooks_account_id
        and cast(clients.client_id as {{ dbt.type_string() }}) = crosswalk.freshbooks_id

    union all

    select clients.client_key, m3_customers.customer_number, 2, 'email'
    from clients
    inner join m3_customers on clients.email_normalized = m3_customers.email_normalized

    union all

    select clients.client_key, m3_customers.customer_number, 3, 'vat_number'
    from clients
    inner join m3_customers on clients.vat_number_normalized = m3_customers.vat_number_normalized

    union all

    select clients.client_key, m3_customers.customer_number, 4, 'name_and_postal_code'
    from clients
    inner join m3_customers
        on clients.name_normalized = m3_customers.name_normalized
        and clients.postal_code_normalized = m3_customers.postal_code_normalized

),

best_rule as (

    select client_key, min(rule_rank) as rule_rank
    from candidates
    group by client_key

),

best_candidates as (

    select distinct candidates.client_key, candidates.customer_number, candidates.rule_rank, candidates.match_rule
    from candidates
    inner join best_rule
        on candidates.client_key = best_rule.client_key
        and candidates.rule_rank = best_rule.rule_rank

),

per_client as (

    select
        client_key,
        min(customer_number) as customer_number,
        min(match_rule) as match_rule,
        count(distinct customer_number) as candidate_count

    from best_candidates
    group by client_key

),

claims as (

    -- the crosswalk is a person's or a push's decision: it is not second-guessed by rules
    select customer_number, count(distinct client_key) as claiming_clients
    from per_client
    where candidate_count = 1 and match_rule <> 'crosswalk'
    group by customer_number

),

final as (

    select
        clients.client_key,
        clients.account_id,
        clients.client_id,
        per_client.match_rule,
        per_client.candidate_count,
        case
            when per_client.client_key is null then 'unmatched'
            when per_client.candidate_count > 1 then 'ambiguous'
            when per_client.match_rule <> 'crosswalk' and claims.claiming_clients > 1 then 'duplicate_client'
            else 'matched'
        end as match_status,
        case
            when per_client.candidate_count = 1
                and (per_client.match_rule = 'crosswalk' or claims.claiming_clients = 1)
                then per_client.customer_number
        end as customer_number

    from clients
    left join per_client on clients.client_key = per_client.client_key
    left join claims on per_client.customer_number = claims.customer_number

)

select * from final
