{#- Fails once per distinct non-null value of the column that has no row in the mapping (compared as text).
    Severity: error (integrity: an unmapped value must never reach a sync model; add it to the mapping seed). -#}
{% test mapping_complete(model, column_name, mapping, mapping_column) %}
{{ config(severity='error') }}

with source_values as (

    select cast({{ column_name }} as {{ dbt.type_string() }}) as source_value
    from {{ model }}
    where {{ column_name }} is not null

),

mapped_values as (

    select distinct cast({{ mapping_column }} as {{ dbt.type_string() }}) as mapped_value
    from {{ mapping }}
    where {{ mapping_column }} is not null

),

unmapped_values as (

    select
        source_values.source_value as unmapped_value,
        count(*) as row_count
    from source_values
    left join mapped_values
        on source_values.source_value = mapped_values.mapped_value
    where mapped_values.mapped_value is null
    group by source_values.source_value

)

select * from unmapped_values

{% endtest %}
