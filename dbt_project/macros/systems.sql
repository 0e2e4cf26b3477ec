{#- Whether a system is connected (LEDGERLINK_SYSTEMS, passed by ledgerlink as a project var).
    Models that read an optional system's staging guard those parts with it. -#}
{% macro system_enabled(system) %}
    {{ return(system in var('ledgerlink_systems')) }}
{% endmacro %}
