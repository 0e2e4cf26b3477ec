{#- Fails on every child row (meeting from_condition) whose non-null key has no parent row meeting to_condition.
    Severity: error (integrity: an orphan row cannot be synced, its parent has no target key). -#}
{% test relationships_where(model, column_name, to, field, from_condition='1=1', to_condition='1=1') %}
{{ config(severity='error') }}

with child_rows as (

    select {{ column_name }} as child_key
    from {{ model }}
    where {{ column_name }} is not null
        and ({{ from_condition }})

),

parent_keys as (

    select distinct {{ field }} as parent_key
    from {{ to }}
    where {{ field }} is not null
        and ({{ to_condition }})

),

orphans as (

    select child_rows.child_key
    from child_rows
    left join parent_keys
        on child_rows.child_key = parent_keys.parent_key
    where parent_keys.parent_key is null

)

select * from orphans

{% endtest %}
