{#- Timestamps: every source quirk becomes a naive UTC `timestamp`, here and only here. -#}

{#- FreshBooks accounting stamps are naive US/Eastern wall-clock strings ('2025-07-28 13:51:00').
    A repeated time (clocks fall back: 2024-11-03 01:30) is its first occurrence, EDT (05:30Z); a
    skipped time (clocks spring forward: 2024-03-10 02:30) keeps the offset in force before the
    change, EST (07:30Z). That is Python's zoneinfo reading, and the connector's models agree.
    DuckDB's and Postgres' own `at time zone` take the second occurrence, so the rule rests on
    UTC -> Eastern, which is never ambiguous: read the stamp as EDT (Eastern is UTC-4 or UTC-5);
    if the Eastern clock at that instant shows an hour less, EST was in force (or the stamp was
    skipped), so the instant is an hour later. -#}
{% macro eastern_to_utc(column) -%}
    {%- set wall = "cast(nullif(" ~ column ~ ", '') as timestamp)" -%}
    {%- set as_edt = dbt.dateadd('hour', 4, wall) -%}
    {{ dbt.dateadd('hour', dbt.datediff(ledgerlink.utc_to_eastern(as_edt), wall, 'hour'), as_edt) }}
{%- endmacro %}

{#- A naive UTC timestamp as naive US/Eastern wall-clock time. -#}
{% macro utc_to_eastern(timestamp) -%}
    {{ return(adapter.dispatch('utc_to_eastern', 'ledgerlink')(timestamp)) }}
{%- endmacro %}

{#- SQL-standard `at time zone`: Postgres, DuckDB, Redshift. -#}
{% macro default__utc_to_eastern(timestamp) -%}
    (({{ timestamp }} at time zone 'UTC') at time zone 'America/New_York')
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
