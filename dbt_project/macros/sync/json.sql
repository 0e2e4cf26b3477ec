{#- JSON for payloads with nested parts (order lines, journal lines, FreshBooks money objects).
    PostgreSQL's json functions are the default; DuckDB's json extension is built in. -#}

{#- An object from (key, SQL expression) pairs, keys in the given order. -#}
{% macro sync_json_object(pairs) -%}
    {{ return(adapter.dispatch('sync_json_object', 'ledgerlink')(pairs)) }}
{%- endmacro %}

{% macro default__sync_json_object(pairs) -%}
    json_build_object(
        {%- for key, expression in pairs %}
        {{ dbt.string_literal(key) }}, {{ expression }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro duckdb__sync_json_object(pairs) -%}
    json_object(
        {%- for key, expression in pairs %}
        {{ dbt.string_literal(key) }}, {{ expression }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- Aggregate: a JSON array of `expression` over the group, in `order_by` order. -#}
{% macro sync_json_array_agg(expression, order_by) -%}
    {{ return(adapter.dispatch('sync_json_array_agg', 'ledgerlink')(expression, order_by)) }}
{%- endmacro %}

{% macro default__sync_json_array_agg(expression, order_by) -%}
    json_agg({{ expression }} order by {{ order_by }})
{%- endmacro %}

{#- DuckDB's json_group_array is a macro that takes no ORDER BY: aggregate a list, then convert. -#}
{% macro duckdb__sync_json_array_agg(expression, order_by) -%}
    to_json(list({{ expression }} order by {{ order_by }}))
{%- endmacro %}

{#- Set-returning: one row per element of a JSON array (use in a select list). -#}
{% macro sync_json_array_elements(expression) -%}
    {{ return(adapter.dispatch('sync_json_array_elements', 'ledgerlink')(expression)) }}
{%- endmacro %}

{% macro default__sync_json_array_elements(expression) -%}
    json_array_elements(cast({{ expression }} as json))
{%- endmacro %}

{% macro duckdb__sync_json_array_elements(expression) -%}
    unnest(json_extract({{ expression }}, '$[*]'))
{%- endmacro %}

{#- The text at `path` (a list of keys) of a JSON object; null when absent. -#}
{% macro sync_json_text(expression, path) -%}
    {{ return(adapter.dispatch('sync_json_text', 'ledgerlink')(expression, path)) }}
{%- endmacro %}

{% macro default__sync_json_text(expression, path) -%}
    (cast({{ expression }} as json) #>> '{ {{- path | join(',') -}} }')
{%- endmacro %}

{% macro duckdb__sync_json_text(expression, path) -%}
    json_extract_string({{ expression }}, '$.{{ path | join('.') }}')
{%- endmacro %}

{#- A JSON value as text, for hashing and for storage in engines without a JSON type. -#}
{% macro sync_json_as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}
