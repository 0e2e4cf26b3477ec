{#- Shared pieces of the generic tests: column-list arguments and engine-specific statistics. -#}

{#- A column argument given as one name or as a list of names, always as a list. -#}
{% macro as_column_list(columns, argument_name='columns') -%}
    {%- if columns is string and columns | trim != '' -%}
        {{ return([columns]) }}
    {%- elif columns is iterable and columns is not mapping and columns | length > 0 -%}
        {{ return(columns | list) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "`" ~ argument_name ~ "` must be a column name or a non-empty list of column names, got: "
            ~ columns
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- Sample standard deviation (n - 1), as an aggregate or, followed by `over (...)`, a window. -#}
{% macro stddev_sample(expression) -%}
    {{ return(adapter.dispatch('stddev_sample', 'ledgerlink')(expression)) }}
{%- endmacro %}

{% macro default__stddev_sample(expression) -%}
    stddev_samp({{ expression }})
{%- endmacro %}

{% macro sqlserver__stddev_sample(expression) -%}
    stdev({{ expression }})
{%- endmacro %}

{#- A double-precision float for statistics (`dbt.type_float()` is single precision on some engines). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'ledgerlink')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}
