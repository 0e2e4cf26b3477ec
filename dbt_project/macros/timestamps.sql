{#- Timestamps: every source quirk becomes a naive UTC `timestamp`, here and only here. -#}

{#- FreshBooks accounting stamps are naive US/Eastern wall-clock strings ('2025-07-28 13:51:00'). -#}
{% macro eastern_to_utc(column) -%}
    {{ return(adapter.dispatch('eastern_to_utc', 'ledgerlink')(column)) }}
{%- endmacro %}

{% macro default__eastern_to_utc(column) -%}
    ((cast(nullif({{ column }}, '') as timestamp) at time zone 'America/New_York') at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__eastern_to_utc(column) -%}
    timezone('UTC', timezone('America/New_York', cast(nullif({{ column }}, '') as timestamp)))
{%- endmacro %}

{#- A naive string that is already UTC (FreshBooks client `signup_date`). -#}
{% macro naive_utc(column) -%}
    cast(nullif({{ column }}, '') as timestamp)
{%- endmacro %}

{#- An aware value (the shop's ISO stamps with an offset) as naive UTC. -#}
{% macro aware_to_utc(column) -%}
    {{ return(adapter.dispatch('aware_to_utc', 'ledgerlink')(column)) }}
{%- endmacro %}

{% macro default__aware_to_utc(column) -%}
    (cast({{ column }} as timestamp with time zone) at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__aware_to_utc(column) -%}
    timezone('UTC', cast({{ column }} as timestamptz))
{%- endmacro %}

{#- M3 dates are 'YYYYMMDD' strings; blank means none. -#}
{% macro m3_date(column) -%}
    {{ return(adapter.dispatch('m3_date', 'ledgerlink')(column)) }}
{%- endmacro %}

{% macro default__m3_date(column) -%}
    to_date(nullif(trim({{ column }}), ''), 'YYYYMMDD')
{%- endmacro %}

{% macro duckdb__m3_date(column) -%}
    cast(strptime(nullif(trim({{ column }}), ''), '%Y%m%d') as date)
{%- endmacro %}

{#- M3 `LMTS` change stamps: epoch milliseconds as a string. -#}
{% macro m3_timestamp(column) -%}
    {{ return(adapter.dispatch('m3_timestamp', 'ledgerlink')(column)) }}
{%- endmacro %}

{% macro default__m3_timestamp(column) -%}
    (to_timestamp(cast(nullif(trim({{ column }}), '') as bigint) / 1000.0) at time zone 'UTC')
{%- endmacro %}

{#- DuckDB's epoch_ms(bigint) is already a naive UTC timestamp; wrapping it in timezone() would make it aware. -#}
{% macro duckdb__m3_timestamp(column) -%}
    epoch_ms(cast(nullif(trim({{ column }}), '') as bigint))
{%- endmacro %}

{#- When dlt loaded a row: `_dlt_load_id` is the load's epoch seconds. -#}
{% macro dlt_loaded_at(column='_dlt_load_id') -%}
    {{ return(adapter.dispatch('dlt_loaded_at', 'ledgerlink')(column)) }}
{%- endmacro %}

{% macro default__dlt_loaded_at(column) -%}
    (to_timestamp(cast({{ column }} as double precision)) at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__dlt_loaded_at(column) -%}
    timezone('UTC', to_timestamp(cast({{ column }} as double)))
{%- endmacro %}
