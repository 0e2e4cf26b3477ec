{#- The reporting clock of the analyst marts. -#}

{#- The date the marts age and forecast from: `--vars '{as_of_date: 2025-12-31}'`, else today. -#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of_date', none) -%}
    {%- if as_of is none or (as_of is string and as_of | trim == '') -%}
        cast({{ dbt.current_timestamp() }} as date)
    {%- else -%}
        cast('{{ as_of }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- Now as a naive UTC timestamp, comparable with the ledger's stamps (which are naive UTC). -#}
{% macro utc_now() -%}
    {{ return(adapter.dispatch('utc_now', 'ledgerlink')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
    cast((current_timestamp at time zone 'UTC') as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__utc_now() -%}
    timezone('UTC', {{ dbt.current_timestamp() }})
{%- endmacro %}

{% macro snowflake__utc_now() -%}
    convert_timezone('UTC', current_timestamp())::timestamp_ntz
{%- endmacro %}
