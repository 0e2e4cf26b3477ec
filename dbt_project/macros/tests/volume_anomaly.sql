{#- Fails on each day whose row count lies more than `threshold` spreads from the mean of the preceding `window_days` days.
    Severity: warn (anomaly). Days without rows count as zero; a day needs `min_days` days of history to be judged.
    The spread is the window's standard deviation, at least sqrt(mean) (Poisson noise), so a perfectly steady
    history does not turn a difference of one row into an anomaly. -#}
{% test volume_anomaly(model, date_column, window_days=28, threshold=3, min_days=7) %}
{{ config(severity='warn') }}
{%- set activity_day = 'cast(' ~ date_column ~ ' as date)' -%}
{#- The calendar needs its length at compile time: one query for the number of days spanned. -#}
{%- set span_days = dbt.get_intervals_between(
    '(select min(' ~ activity_day ~ ') from ' ~ model ~ ')',
    '(select max(' ~ activity_day ~ ') from ' ~ model ~ ')',
    'day'
) -%}
{%- set calendar_days = ((span_days | int) if span_days is not none else 0) + 1 -%}
{%- set history_window = 'order by activity_day rows between ' ~ (window_days | int) ~ ' preceding and 1 preceding' %}

with observations as (

    select {{ activity_day }} as activity_day
    from {{ model }}
    where {{ date_column }} is not null

),

daily_counts as (

    select
        activity_day,
        count(*) as row_count
    from observations
    group by activity_day

),

first_day as (

    select min(activity_day) as first_activity_day
    from observations

),

calendar as (

    select
        cast(
            {{- dbt.dateadd('day', 'day_numbers.generated_number - 1', 'first_day.first_activity_day') -}}
        as date) as activity_day
    from ({{ dbt.generate_series(calendar_days) }}) as day_numbers
    cross join first_day
    where first_day.first_activity_day is not null

),

daily_volumes as (

    select
        calendar.activity_day,
        coalesce(daily_counts.row_count, 0) as row_count
    from calendar
    left join daily_counts
        on calendar.activity_day = daily_counts.activity_day

),

windowed as (

    select
        activity_day,
        row_count,
        count(row_count) over ({{ history_window }}) as history_days,
        avg(cast(row_count as {{ type_double() }})) over ({{ history_window }}) as history_mean,
        {{ stddev_sample('cast(row_count as ' ~ type_double() ~ ')') }} over ({{ history_window }}) as history_stddev
    from daily_volumes

),

spread as (

    select
        windowed.*,
        case
            when history_stddev > sqrt(history_mean) then history_stddev
            else sqrt(history_mean)
        end as history_spread
    from windowed
    where history_days >= {{ min_days }}

),

anomalies as (

    select
        spread.*,
        (row_count - history_mean) / nullif(history_spread, 0) as z_score
    from spread
    where abs(row_count - history_mean) > {{ threshold }} * history_spread

)

select * from anomalies

{% endtest %}
