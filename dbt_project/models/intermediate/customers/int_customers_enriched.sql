-- One row per FreshBooks client with the CRM account that enriches it, if one can be named for
-- sure: by normalized e-mail first, then by VAT number (the keys enrichment.yml declares, in
-- order). A key that finds several accounts is ambiguous and enriches nothing (never guessed);
-- a client no key finds is `no_match`. The CRM's fields are carried as crm_<field>.

{%- set accounts_relation = ref('stg_crm__accounts') %}
{%- set fields = [] %}
{%- if execute %}
{%- for column in adapter.get_columns_in_relation(accounts_relation) %}
{%- if column.name not in ['source_line', 'email', 'vat_number'] %}{% do fields.append(column.name) %}{% endif %}
{%- endfor %}
{%- endif %}

with

clients as (

    select * from {{ ref('int_freshbooks__clients_typed') }}
    where not is_deleted

),

accounts as (

    select
        *,
        {{ normalized_email('email') }} as email_normalized,
        nullif(upper(replace(vat_number, ' ', '')), '') as vat_number_normalized

    from {{ accounts_relation }}

),

candidates as (

    select clients.client_key, accounts.source_line, 1 as rule_rank, 'email' as match_rule
    from clients
    inner join accounts on clients.email_normalized = accounts.email_normalized

    union all

    select clients.client_key, accounts.source_line, 2, 'vat_number'
    from clients
    inner join accounts on clients.vat_number_normalized = accounts.vat_number_normalized

),

best_rule as (

    select client_key, min(rule_rank) as rule_rank
    from candidates
    group by client_key

),

per_client as (

    select
        candidates.client_key,
        min(candidates.match_rule) as match_rule,
        min(candidates.source_line) as source_line,
        count(distinct candidates.source_line) as candidate_count

    from candidates
    inner join best_rule
        on candidates.client_key = best_rule.client_key
        and candidates.rule_rank = best_rule.rule_rank
    group by candidates.client_key

),

final as (

    select
        clients.client_key,
        clients.email_normalized as email,
        clients.vat_number_normalized as vat_number,
        case
            when per_client.client_key is null then 'no_match'
            when per_client.candidate_count > 1 then 'ambiguous'
            else 'matched'
        end as enrichment_status,
        per_client.match_rule,
        case when per_client.candidate_count = 1 then per_client.source_line end as crm_source_line
        {%- for field in fields %},
        case when per_client.candidate_count = 1 then accounts.{{ adapter.quote(field) }} end
            as {{ adapter.quote('crm_' ~ field) }}
        {%- endfor %}

    from clients
    left join per_client on clients.client_key = per_client.client_key
    left join accounts
        on per_client.source_line = accounts.source_line
        and per_client.candidate_count = 1

)

select * from final
