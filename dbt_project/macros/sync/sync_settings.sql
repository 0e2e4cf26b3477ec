{#- Settings of the sync models: dbt vars, set (with the sandbox tenant's values) under `vars:`
    in dbt_project.yml. -#}

{% macro sync_setting(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none -%}
        {{ exceptions.raise_compiler_error("sync setting `" ~ name ~ "` is not set: add it under `vars:` in dbt_project.yml") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- A sync setting as a SQL string literal. -#}
{% macro sync_literal(name) -%}
    {{ dbt.string_literal(sync_setting(name)) }}
{%- endmacro %}

{#- FreshBooks invoice lines that are charges, not items: they stay out of Infor customer orders. -#}
{% macro sync_charge_line_names() -%}
    ({{ dbt.string_literal(sync_setting('shop_shipping_line_name')) }}, {{ dbt.string_literal(sync_setting('shop_discount_line_name')) }})
{%- endmacro %}
