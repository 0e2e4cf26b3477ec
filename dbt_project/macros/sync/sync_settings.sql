{#- Settings of the sync models: each one is a dbt var (override it under `vars:` in
    dbt_project.yml); the defaults are the sandbox tenant's. -#}

{% macro sync_setting(name) -%}
    {%- set defaults = {
        'm3_company': '100',
        'm3_division': 'AAA',
        'm3_facility': 'A01',
        'm3_warehouse': 'A01',
        'm3_local_currency': 'USD',
        'm3_customer_number_prefix': 'FB',
        'abs100_statement_type': '1',
        'abs100_statement_prefix': 'FBP',
        'gls840_interface': 'FBEXPENSE',
        'gls840_record_identity': '1',
        'gls840_key_prefix': 'FB-EXP-',
        'shop_invoice_prefix': 'SHOP-',
        'shop_shipping_line_name': 'Shipping',
        'shop_discount_line_name': 'Discount',
    } -%}
    {%- if name not in defaults -%}
        {{ exceptions.raise_compiler_error("unknown sync setting `" ~ name ~ "`; known: " ~ (defaults.keys() | join(', '))) }}
    {%- endif -%}
    {{ return(var(name, defaults[name])) }}
{%- endmacro %}

{#- A sync setting as a SQL string literal. -#}
{% macro sync_literal(name) -%}
    {{ dbt.string_literal(sync_setting(name)) }}
{%- endmacro %}

{#- FreshBooks invoice lines that are charges, not items: they stay out of Infor customer orders. -#}
{% macro sync_charge_line_names() -%}
    ({{ dbt.string_literal(sync_setting('shop_shipping_line_name')) }}, {{ dbt.string_literal(sync_setting('shop_discount_line_name')) }})
{%- endmacro %}
