{#- Value lookups and conditional rules against mapping seeds. -#}

{#- The value of `value_column` in `seed` where `key_column` equals `expression` (null if none). -#}
{% macro lookup(seed, key_column, value_column, expression) -%}
    (
        select mapping.{{ value_column }}
        from {{ ref(seed) }} as mapping
        where mapping.{{ key_column }} = {{ expression }}
    )
{%- endmacro %}

{#- A FreshBooks client's type from `client_type_rules`: the first rule (by rule_order) whose
    non-empty conditions all hold. -#}
{% macro client_type(company_size, company_industry) -%}
    (
        select rules.client_type
        from {{ ref('client_type_rules') }} as rules
        where (rules.company_size is null or rules.company_size = {{ company_size }})
          and (rules.company_industry is null or rules.company_industry = {{ company_industry }})
        order by rules.rule_order
        limit 1
    )
{%- endmacro %}
