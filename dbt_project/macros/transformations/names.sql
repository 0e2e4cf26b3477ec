{#- Names: concatenation and splitting between FreshBooks (first + last) and M3 (one CUNM). -#}

{#- "Avery" + "Okafor" -> "Avery Okafor"; either part may be missing. -#}
{% macro full_name(first_name, last_name) -%}
    nullif(trim({{ dbt.concat(["coalesce(" ~ first_name ~ ", '')", "' '", "coalesce(" ~ last_name ~ ", '')"]) }}), '')
{%- endmacro %}

{#- The first word of a full name ("Avery" of "Avery Okafor"). -#}
{% macro first_name_of(full_name) -%}
    nullif({{ dbt.split_part("trim(" ~ full_name ~ ")", "' '", 1) }}, '')
{%- endmacro %}

{#- Everything after the first word ("van der Berg" of "Jan van der Berg"). -#}
{% macro last_name_of(full_name) -%}
    nullif(trim(substr(trim({{ full_name }}), length({{ dbt.split_part("trim(" ~ full_name ~ ")", "' '", 1) }}) + 1)), '')
{%- endmacro %}

{#- A company name reduced for matching: lower case, no punctuation, no legal form. -#}
{% macro normalized_company_name(name) -%}
    {%- set legal_forms = 'inc|incorporated|llc|ltd|limited|co|company|corp|corporation|group|gmbh|plc' -%}
    {%- set boundary = word_boundary() -%}
    nullif(trim(regexp_replace(
        regexp_replace(
            regexp_replace(lower(coalesce({{ name }}, '')), '[^a-z0-9 ]', ' ', 'g'),
            '{{ boundary }}({{ legal_forms }}){{ boundary }}', ' ', 'g'
        ),
        ' +', ' ', 'g'
    )), '')
{%- endmacro %}

{#- Regular-expression word boundary: `\y` in PostgreSQL, `\b` in RE2 (DuckDB). -#}
{% macro word_boundary() -%}
    {{ return(adapter.dispatch('word_boundary', 'ledgerlink')()) }}
{%- endmacro %}

{% macro default__word_boundary() -%}
    {{ return('\\y') }}
{%- endmacro %}

{% macro duckdb__word_boundary() -%}
    {{ return('\\b') }}
{%- endmacro %}

{#- E-mail addresses compare case-insensitively and without surrounding spaces. -#}
{% macro normalized_email(email) -%}
    nullif(lower(trim({{ email }})), '')
{%- endmacro %}

{#- Postal codes compare without spaces or case ("M5V 2T6" = "m5v2t6"). -#}
{% macro normalized_postal_code(code) -%}
    nullif(upper(replace(trim({{ code }}), ' ', '')), '')
{%- endmacro %}
