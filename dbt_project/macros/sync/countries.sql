{#- Countries between FreshBooks / the shop (names) and M3 (CSCD, ISO 3166 alpha-2): the
    countries the M3 tenant's code table knows. -#}

{% macro sync_countries() -%}
    {{ return({
        'US': ['united states', 'united states of america', 'usa', 'us'],
        'CA': ['canada', 'ca'],
        'MX': ['mexico', 'mx'],
        'GB': ['united kingdom', 'great britain', 'uk', 'gb'],
        'DE': ['germany', 'deutschland', 'de'],
        'FR': ['france', 'fr'],
        'NL': ['netherlands', 'the netherlands', 'nl'],
        'SE': ['sweden', 'se'],
        'AU': ['australia', 'au'],
        'JP': ['japan', 'jp'],
    }) }}
{%- endmacro %}

{#- 'United States' -> 'US'; null when the name is not one M3 knows. -#}
{% macro sync_country_code(country_name) -%}
    case lower(trim({{ country_name }}))
        {%- for code, names in sync_countries().items() %}
        {%- for name in names %}
        when {{ dbt.string_literal(name) }} then {{ dbt.string_literal(code) }}
        {%- endfor %}
        {%- endfor %}
    end
{%- endmacro %}

{#- 'US' -> 'United States' (the name FreshBooks shows). -#}
{% macro sync_country_name(country_code) -%}
    case upper(trim({{ country_code }}))
        {%- for code, names in sync_countries().items() %}
        when {{ dbt.string_literal(code) }} then {{ dbt.string_literal(names[0] | title) }}
        {%- endfor %}
    end
{%- endmacro %}
