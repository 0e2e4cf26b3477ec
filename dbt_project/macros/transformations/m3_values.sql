{#- Type conversion into M3's strings, with the lengths from the project's M3 contract. -#}

{#- The declared length of an M3 input field, e.g. m3_field_length('CRS610MI/Add', 'CUNM') = 36. -#}
{% macro m3_field_length(transaction, field) -%}
    {%- set spec = m3_field_specs()[transaction][field] -%}
    {{ return(spec['length']) }}
{%- endmacro %}

{#- Text cut to what the M3 field accepts (M3 refuses longer values). -#}
{% macro m3_text(expression, transaction, field) -%}
    {%- set length = m3_field_length(transaction, field) -%}
    nullif(substr(trim(cast({{ expression }} as {{ dbt.type_string() }})), 1, {{ length }}), '')
{%- endmacro %}

{#- A date as M3's 'YYYYMMDD'. -#}
{% macro m3_date_string(date_expression) -%}
    {{ return(adapter.dispatch('m3_date_string', 'ledgerlink')(date_expression)) }}
{%- endmacro %}

{% macro default__m3_date_string(date_expression) -%}
    to_char({{ date_expression }}, 'YYYYMMDD')
{%- endmacro %}

{% macro duckdb__m3_date_string(date_expression) -%}
    strftime(cast({{ date_expression }} as date), '%Y%m%d')
{%- endmacro %}

{#- A decimal as M3's plain string: fixed decimals, '.' separator, no grouping. -#}
{% macro m3_number(expression, decimals=2) -%}
    cast(cast(round({{ expression }}, {{ decimals }}) as decimal(18, {{ decimals }})) as {{ dbt.type_string() }})
{%- endmacro %}
