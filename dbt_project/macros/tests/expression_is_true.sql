{#- Fails on every row where the SQL expression is false (unknown, i.e. null, passes, as in a check constraint).
    Severity: error (integrity rule); pass `column_name` by declaring it under a column: `<column> <expression>`. -#}
{% test expression_is_true(model, expression, column_name=none) %}
{{ config(severity='error') }}
{%- set condition = (column_name ~ ' ' ~ expression) if column_name is not none else expression %}

with violations as (

    select *
    from {{ model }}
    where not ({{ condition }})

)

select * from violations

{% endtest %}
