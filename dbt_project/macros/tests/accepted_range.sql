{#- Fails on every non-null value outside [min_value, max_value] (the open interval when inclusive=false).
    Severity: error (integrity). Either bound may be omitted, not both; bounds are SQL (numbers, dates, expressions). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{{ config(severity='error') }}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error("accepted_range on `" ~ column_name ~ "` needs min_value, max_value or both") }}
{%- endif -%}
{%- set bounds = [] -%}
{%- if min_value is not none -%}
    {%- do bounds.append(column_name ~ (' >= ' if inclusive else ' > ') ~ min_value) -%}
{%- endif -%}
{%- if max_value is not none -%}
    {%- do bounds.append(column_name ~ (' <= ' if inclusive else ' < ') ~ max_value) -%}
{%- endif %}

with out_of_range as (

    select {{ column_name }} as out_of_range_value
    from {{ model }}
    where {{ column_name }} is not null
        and not ({{ bounds | join(' and ') }})

)

select * from out_of_range

{% endtest %}
