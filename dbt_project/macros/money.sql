{#- Money is DECIMAL(18,2) and rates DECIMAL(18,6), never float. -#}
{% macro money(column) -%}
    cast(nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '') as decimal(18, 2))
{%- endmacro %}

{% macro rate(column) -%}
    cast(nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '') as decimal(18, 6))
{%- endmacro %}
