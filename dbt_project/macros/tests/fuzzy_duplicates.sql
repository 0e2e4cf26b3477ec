{#- Fails on each pair of distinct rows in one partition (customer) with amounts within `amount_tolerance` and dates within `window_days`.
    Severity: warn (anomaly: a likely double entry or double payment for a person to confirm). Rows with a null
    partition, amount, date or id are not compared; keep amounts decimal so the tolerance edge is exact. -#}
{% test fuzzy_duplicates(model, partition_by, amount_column, date_column, id_column, window_days=3, amount_tolerance=0.01) %}
{{ config(severity='warn') }}
{%- set partition_columns = as_column_list(partition_by, 'partition_by') %}

with candidates as (

    select
        {%- for partition_column in partition_columns %}
        {{ partition_column }},
        {%- endfor %}
        {{ id_column }} as record_id,
        {{ amount_column }} as record_amount,
        {{ date_column }} as record_date
    from {{ model }}
    where {{ id_column }} is not null
        and {{ amount_column }} is not null
        and {{ date_column }} is not null
        {%- for partition_column in partition_columns %}
        and {{ partition_column }} is not null
        {%- endfor %}

),

near_pairs as (

    select
        {%- for partition_column in partition_columns %}
        first_record.{{ partition_column }},
        {%- endfor %}
        first_record.record_id as first_id,
        second_record.record_id as second_id,
        first_record.record_amount as first_amount,
        second_record.record_amount as second_amount,
        first_record.record_date as first_date,
        second_record.record_date as second_date,
        {{ dbt.datediff('first_record.record_date', 'second_record.record_date', 'day') }} as days_apart
    from candidates as first_record
    inner join candidates as second_record
        on first_record.record_id < second_record.record_id
        {%- for partition_column in partition_columns %}
        and first_record.{{ partition_column }} = second_record.{{ partition_column }}
        {%- endfor %}
        and second_record.record_date >= {{ dbt.dateadd('day', -(window_days | int), 'first_record.record_date') }}
        and second_record.record_date <= {{ dbt.dateadd('day', window_days | int, 'first_record.record_date') }}
        and abs(first_record.record_amount - second_record.record_amount) <= {{ amount_tolerance }}

)

select * from near_pairs

{% endtest %}
