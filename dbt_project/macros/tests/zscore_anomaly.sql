{#- Fails on each value more than `threshold` standard deviations from the mean of the *other* rows of its partition.
    Severity: warn (anomaly). Leave-one-out, so an outlier cannot hide by inflating its own partition's spread;
    partitions with fewer than `min_history` rows (at least 3) are not judged. When all other rows are equal, any
    different value is an anomaly; a partition whose values are all equal has none. -#}
{% test zscore_anomaly(model, column_name, partition_by, min_history=5, threshold=var('anomaly_z_score')) %}
{{ config(severity='warn') }}
{%- set partition_columns = as_column_list(partition_by, 'partition_by') -%}
{%- set partition_window = 'partition by ' ~ (partition_columns | join(', ')) -%}
{%- set minimum_rows = [min_history | int, 3] | max %}

with observations as (

    select
        *,
        cast({{ column_name }} as {{ type_double() }}) as observed_value
    from {{ model }}
    where {{ column_name }} is not null

),

partition_stats as (

    select
        observations.*,
        count(*) over ({{ partition_window }}) as partition_rows,
        avg(observed_value) over ({{ partition_window }}) as partition_mean,
        min(observed_value) over ({{ partition_window }}) as partition_min,
        max(observed_value) over ({{ partition_window }}) as partition_max
    from observations

),

centered as (

    select
        partition_stats.*,
        observed_value - partition_mean as deviation_from_partition,
        sum((observed_value - partition_mean) * (observed_value - partition_mean))
            over ({{ partition_window }}) as partition_sum_of_squares
    from partition_stats
    where partition_rows >= {{ minimum_rows }}

),

-- Mean and variance of the other n - 1 rows, downdated from the partition's centred moments
-- (numerically stable, and portable: no `exclude current row` window frames).
leave_one_out as (

    select
        centered.*,
        partition_mean - deviation_from_partition / (partition_rows - 1) as others_mean,
        (
            partition_sum_of_squares
            - deviation_from_partition * deviation_from_partition * partition_rows / (partition_rows - 1)
        ) / (partition_rows - 2) as others_variance
    from centered

),

scored as (

    select
        leave_one_out.*,
        sqrt(case when others_variance > 0 then others_variance else 0 end) as others_stddev
    from leave_one_out

),

anomalies as (

    select
        scored.*,
        (observed_value - others_mean) / nullif(others_stddev, 0) as z_score
    from scored
    where partition_min <> partition_max
        and abs(observed_value - others_mean) > {{ threshold }} * others_stddev

)

select * from anomalies

{% endtest %}
