{#- Stop a run that has no warehouse to work on (the profile falls back to an in-memory database
    when LEDGERLINK_WAREHOUSE is unset, so that parsing and compiling need none). -#}
{% macro require_warehouse() %}
    {%- if execute and target.type == 'duckdb' and target.path == ':memory:' -%}
        {{ exceptions.raise_compiler_error(
            "no warehouse: run dbt as `ledgerlink dbt <command>` (it finds the warehouse, the "
            ~ "settings and the writer lock), or set LEDGERLINK_WAREHOUSE to the warehouse file"
        ) }}
    {%- endif -%}
{% endmacro %}
