{#- Fails on each combination of the columns that occurs on more than one row (nulls compare equal).
    Severity: error (integrity: a duplicate key fans out every join and sync that trusts it). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{{ config(severity='error') }}
{%- set key_columns = as_column_list(combination_of_columns, 'combination_of_columns') %}

with duplicated_combinations as (

    select
        {%- for key_column in key_columns %}
        {{ key_column }},
        {%- endfor %}
        count(*) as row_count

    from {{ model }}
    group by {{ key_columns | join(', ') }}
    having count(*) > 1

)

select * from duplicated_combinations

{% endtest %}
